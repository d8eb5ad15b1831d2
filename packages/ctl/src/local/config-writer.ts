// Pilot's config directory as the local platform fills it: the user's Istio config under istio/ and
// the registry derived from Services and pods under registry/, one object per file (written by
// temp file + rename, so Pilot never reads half a file). Every written object carries a generation
// annotation, so a caller can tell when Pilot has read exactly what was written.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const GENERATION_ANNOTATION = 'weft.local/generation';

export interface WrittenObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly spec: unknown;
}

export function objectKey(o: Pick<WrittenObject, 'kind' | 'metadata'>): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function fileName(o: Pick<WrittenObject, 'kind' | 'metadata'>): string {
  return `${o.kind.toLowerCase()}.${o.metadata.namespace || '_cluster'}.${o.metadata.name}.yaml`;
}

export class ConfigWriter {
  private generation = 0;
  /** key → generation of what is on disk, per area. */
  private readonly written = new Map<string, Map<string, string>>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    for (const area of ['istio', 'registry']) {
      await mkdir(join(this.dir, area), { recursive: true });
      for (const f of await readdir(join(this.dir, area))) await rm(join(this.dir, area, f), { force: true });
      this.written.set(area, new Map());
    }
  }

  get directory(): string {
    return this.dir;
  }

  /** Writes (adds or replaces) objects; returns key → generation written. */
  async put(area: 'istio' | 'registry', objects: readonly WrittenObject[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const o of objects) {
      const generation = String(++this.generation);
      const annotated = { apiVersion: o.apiVersion, kind: o.kind, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [GENERATION_ANNOTATION]: generation } }, spec: o.spec };
      const file = join(this.dir, area, fileName(o));
      await writeFile(`${file}.tmp`, stringify(annotated));
      await rename(`${file}.tmp`, file);
      this.written.get(area)?.set(objectKey(o), generation);
      out.set(objectKey(o), generation);
    }
    return out;
  }

  /** Removes objects by kind and metadata; returns key → '' (absent) for the ones that were there. */
  async remove(area: 'istio' | 'registry', objects: readonly Pick<WrittenObject, 'kind' | 'metadata'>[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const o of objects) {
      if (!this.written.get(area)?.has(objectKey(o))) continue;
      await rm(join(this.dir, area, fileName(o)), { force: true });
      this.written.get(area)?.delete(objectKey(o));
      out.set(objectKey(o), '');
    }
    return out;
  }

  keys(area: 'istio' | 'registry'): string[] {
    return [...(this.written.get(area)?.keys() ?? [])];
  }
}
