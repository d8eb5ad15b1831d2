// A directory laid out as the kubelet lays out a Secret volume: each file is a symlink
// `<name> → ..data/<name>`, `..data` is a symlink to a timestamped directory, and an update writes a
// new directory and renames a new `..data` link over the old one (so every file changes at once).
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class SecretVolume {
  private generation = 0;
  private current: string | undefined;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Publishes a new version of the files, atomically, as the kubelet does. */
  write(files: Readonly<Record<string, string>>): void {
    const version = `..2024_01_01_00_00_00.${++this.generation}`;
    mkdirSync(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, version, name), content);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(version, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    for (const name of Object.keys(files)) if (!existsSync(join(this.dir, name))) symlinkSync(join('..data', name), join(this.dir, name));
    if (this.current) rmSync(join(this.dir, this.current), { recursive: true, force: true });
    this.current = version;
  }
}
