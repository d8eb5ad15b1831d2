import { captureIO } from '@weft/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

describe('pilot-agent', () => {
  it('lists its commands and exits 2 without one', async () => {
    const c = captureIO();
    expect(await main([], {}, c.io)).toBe(2);
    expect(c.stderr()).toContain('proxy');
    expect(c.stderr()).toContain('istio-iptables');
  });
});
