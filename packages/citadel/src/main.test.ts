import { captureIO } from '@weft/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

describe('citadel', () => {
  it.each([[[]], [['--help']], [['discovery', '--anything']]])('says it is not built yet and exits non-zero for %j', async (argv) => {
    const c = captureIO();
    expect(await main(argv, {}, c.io)).not.toBe(0);
    expect(c.stdout() + c.stderr()).toContain('citadel: Citadel is not built yet');
  });
});
