// local-images.yaml: how `weftctl local` runs a container image with no container runtime. An image
// repository (any tag), or repository:tag (matched first), maps to a command; `node` as the first word
// is the Node.js running weftctl, relative paths are relative to the file, and it is the working
// directory. A container's `command` replaces the mapped command, its `args` are appended, as
// Kubernetes does with an image's entrypoint.
import { dirname } from 'node:path';
import { IssueCollector, type ValidationResult } from '@weft/base';
import { parse } from 'yaml';
import { isObject, list } from './kube/kube-fields.js';

export const IMAGE_MAP_FILE = 'local-images.yaml';

export interface ImageEntry {
  readonly command: readonly string[];
}

export interface ImageMap {
  /** The file it came from (its directory is the working directory of the commands). */
  readonly file: string;
  readonly images: ReadonlyMap<string, ImageEntry>;
}

export interface ResolvedCommand {
  readonly argv: readonly string[];
  readonly cwd: string;
}

export function parseImageMap(text: string, file: string): ValidationResult<ImageMap> {
  const at = new IssueCollector();
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    at.error(`not valid YAML: ${(e as Error).message}`);
    return at.result(undefined as unknown as ImageMap);
  }
  const images = new Map<string, ImageEntry>();
  if (!isObject(raw) || !isObject(raw['images'])) {
    at.at('images').error('must be a mapping of image repository (or repository:tag) to {command: [...]}');
    return at.result(undefined as unknown as ImageMap);
  }
  for (const [image, entry] of Object.entries(raw['images'])) {
    const ea = at.at('images', image);
    if (!isObject(entry)) {
      ea.error('must be a mapping with a command');
      continue;
    }
    for (const k of Object.keys(entry)) if (k !== 'command') ea.at(k).error(`unknown field "${k}" (an entry has only command)`);
    const command = list(entry['command'], ea.at('command'), true);
    if (!command) continue;
    if (command.length === 0 || command.some((c) => typeof c !== 'string' || c === '')) {
      ea.at('command').error('must be a non-empty list of strings');
      continue;
    }
    images.set(image, { command: command as string[] });
  }
  return at.result({ file, images });
}

/** `repo:tag` (or `repo@digest`) → the entry for `repo:tag`, else for `repo`. */
export function lookupImage(map: ImageMap, image: string): ImageEntry | undefined {
  const exact = map.images.get(image);
  if (exact) return exact;
  const at = image.lastIndexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(':');
  const repo = colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
  return map.images.get(repo);
}

/**
 * The argv a container runs: its `command` if it has one, else the image's mapped command, then its
 * `args`; `node` is `nodePath`. It runs in the map's folder, so relative paths are relative to it.
 */
export function resolveCommand(map: ImageMap, image: string, container: { readonly command?: readonly string[]; readonly args?: readonly string[] }, nodePath: string): ResolvedCommand | undefined {
  const entry = lookupImage(map, image);
  if (!entry && !container.command) return undefined;
  const cwd = dirname(map.file);
  const base = container.command ?? entry?.command ?? [];
  const argv = [...base, ...(container.args ?? [])].map((word, i) => (i === 0 && word === 'node' ? nodePath : word));
  return { argv, cwd };
}
