// Shared by every package's bin/ shim: runs the built dist/main.js, or explains that the package
// has not been built yet. Plain JavaScript outside dist/ so that it works before `npm run build`.
import { fileURLToPath } from 'node:url';

/**
 * @param {string} binary the command name, for messages
 * @param {URL} mainUrl the package's dist/main.js
 */
export async function launch(binary, mainUrl) {
  let mod;
  try {
    mod = await import(mainUrl.href);
  } catch (e) {
    const missing = e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(fileURLToPath(mainUrl));
    if (!missing) throw e;
    process.stderr.write(`${binary}: not built yet; run \`npm run build\` first (missing ${fileURLToPath(mainUrl)})\n`);
    process.exit(1);
  }
  process.exitCode = await mod.main(process.argv.slice(2), process.env);
}
