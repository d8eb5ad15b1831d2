// Story: every error code a component can raise is documented, and codes are unique across Weft.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listErrors } from '@weft/base';
import { CtlErrors } from '@weft/ctl';
import { AgentErrors } from '@weft/pilot-agent';
import { ProxyErrors } from '@weft/proxy';
import { XdsErrors } from '@weft/xds';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './workspace.js';

const catalogs = { ctl: CtlErrors, xds: XdsErrors, proxy: ProxyErrors, agent: AgentErrors };

describe('error catalog', () => {
  it('docs/reference/errors.md lists every code of every catalog', async () => {
    const doc = await readFile(join(REPO_ROOT, 'docs', 'reference', 'errors.md'), 'utf8');
    const codes = Object.values(catalogs).flatMap((c) => listErrors(c).map((e) => e.code));
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(doc, code).toContain(`\`${code}\``);
  });

  it('codes are unique across packages', () => {
    const codes = Object.values(catalogs).flatMap((c) => listErrors(c).map((e) => e.code));
    expect(new Set(codes).size).toBe(codes.length);
  });
});
