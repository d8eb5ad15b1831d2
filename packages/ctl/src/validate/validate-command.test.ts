import { fileURLToPath } from 'node:url';
import { captureIO } from '@weft/testing';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const testdata = (f: string) => fileURLToPath(new URL(`../../../api/src/config/testdata/${f}`, import.meta.url));

describe('weftctl validate', () => {
  it('prints every error of a file with its path and exits 1', async () => {
    const c = captureIO();
    expect(await main(['validate', '-f', testdata('invalid.yaml')], {}, c.io)).toBe(1);
    const lines = c.stdout().trim().split('\n');
    expect(lines.filter((l) => l.startsWith('error: ')).length).toBe(8);
    expect(lines.at(-1)).toMatch(/invalid\.yaml: invalid \(0 objects, 8 errors, 0 warnings\)$/);
  });

  it('exits 0 for a valid file', async () => {
    const c = captureIO();
    expect(await main(['validate', '-f', testdata('valid.yaml')], {}, c.io)).toBe(0);
  });

  it('reads stdin for -f - and can print JSON', async () => {
    const c = captureIO();
    const io = { ...c.io, readStdin: async () => 'apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: "*.*.com"}\n' };
    expect(await main(['validate', '-f', '-', '-o', 'json'], {}, io)).toBe(1);
    const report = JSON.parse(c.stdout()) as { valid: boolean; files: { source: string; errors: { path: string }[] }[] };
    expect(report.valid).toBe(false);
    expect(report.files[0]!.source).toBe('<stdin>');
    expect(report.files[0]!.errors.map((e) => e.path)).toContain('spec.host');
  });

  it('rejects an unknown output format with exit 2', async () => {
    const c = captureIO();
    expect(await main(['validate', '-f', testdata('valid.yaml'), '-o', 'xml'], {}, c.io)).toBe(2);
    expect(c.stderr()).toContain('WEFT_CTL_BAD_OUTPUT');
  });

  it('treats warnings as errors with -w', async () => {
    const c = captureIO();
    const io = { ...c.io, readStdin: async () => 'apiVersion: rbac.istio.io/v1alpha1\nkind: ServiceRole\nmetadata: {name: r, namespace: default}\nspec:\n  rules: [{services: ["*"], methods: ["GET"]}]\n' };
    expect(await main(['validate', '-f', '-'], {}, io)).toBe(0);
    expect(c.stderr()).toContain('warning: ');
    const c2 = captureIO();
    expect(await main(['validate', '-f', '-', '-w'], {}, { ...c2.io, readStdin: io.readStdin })).toBe(1);
  });
});
