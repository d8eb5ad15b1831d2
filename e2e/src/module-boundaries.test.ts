// Story: the components talk only over the wire — no app package imports another, and lint says so.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './workspace.js';

const APPS = ['pilot', 'galley', 'mixer', 'citadel', 'sidecar-injector', 'pilot-agent', 'proxy', 'ctl'];
const npx = join(REPO_ROOT, 'node_modules', '.bin');

function lintSource(filename: string, source: string) {
  return run(join(npx, 'eslint'), ['--stdin', '--stdin-filename', filename, '--format', 'json'], source);
}

describe('module boundaries', () => {
  it('the nx project graph has no edge from one app package to another', async () => {
    const file = join(REPO_ROOT, 'tmp', `graph-${process.pid}.json`);
    const r = await run(join(npx, 'nx'), ['graph', `--file=${file}`]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const graph = JSON.parse(await readFile(file, 'utf8')) as { graph: { dependencies: Record<string, { target: string }[]> } };
    await rm(file, { force: true });
    const deps = graph.graph.dependencies;
    expect(Object.keys(deps)).toEqual(expect.arrayContaining([...APPS, 'api', 'base', 'xds']));
    for (const app of APPS) {
      const targets = (deps[app] ?? []).map((d) => d.target);
      expect(targets.filter((t) => APPS.includes(t)), `${app} depends on another app`).toEqual([]);
    }
    expect((deps['api'] ?? []).map((d) => d.target).filter((t) => !t.startsWith('npm:'))).toEqual([]);
    expect((deps['base'] ?? []).map((d) => d.target).filter((t) => !t.startsWith('npm:'))).toEqual([]);
  });

  it.each([
    ['packages/galley/src/probe.ts', "import { main } from '@weft/pilot';\nexport const x = main;\n"],
    ['packages/api/src/probe.ts', "import { createLogger } from '@weft/base';\nexport const x = createLogger;\n"],
    ['packages/xds/src/probe.ts', "import { main } from '@weft/galley';\nexport const x = main;\n"],
  ])('lint rejects a forbidden import in %s', async (filename, source) => {
    const r = await lintSource(filename, source);
    expect(r.code).not.toBe(0);
    const messages = (JSON.parse(r.stdout) as { messages: { ruleId: string; message: string }[] }[]).flatMap((f) => f.messages);
    // The tag constraint itself, not some other boundary complaint.
    expect(messages).toContainEqual(
      expect.objectContaining({ ruleId: '@nx/enforce-module-boundaries', message: expect.stringMatching(/A project tagged with "[a-z:]+" (can only|cannot) depend on/) }),
    );
  });

  it('lint accepts an allowed import (an app importing api and base)', async () => {
    const r = await lintSource('packages/galley/src/probe.ts', "import { createLogger } from '@weft/base';\nimport { TypeUrl } from '@weft/api';\nexport const x = [createLogger, TypeUrl];\n");
    expect(r.stdout + r.stderr).not.toContain('enforce-module-boundaries');
    expect(r.code).toBe(0);
  });
});
