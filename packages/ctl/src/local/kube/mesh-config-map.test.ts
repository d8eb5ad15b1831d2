import { describe, expect, it } from 'vitest';
import { checkMeshNetworks, defaultPilotMesh, fileLineOf, meshConfigChanged, parseMeshText } from './mesh-config-map.js';

describe('parseMeshText', () => {
  it('reads a Helm-style mesh over Istio 1.3 defaults', () => {
    const r = parseMeshText('accessLogFile: ""\nenableTracing: false\nconnectTimeout: 10s\ndefaultConfig:\n  concurrency: 2\n  discoveryAddress: istio-pilot.istio-system:15010\n');
    expect(r.errors).toEqual([]);
    expect(r.meshConfig).toMatchObject({ accessLogFile: '', enableTracing: false, connectTimeout: '10s', proxyListenPort: 15001 });
    expect(r.meshConfig?.defaultConfig).toMatchObject({ concurrency: 2, drainDuration: '45s' });
  });

  it('an empty text is what Pilot runs with when no ConfigMap is given', () => {
    expect(parseMeshText('').meshConfig).toEqual(defaultPilotMesh());
    expect(defaultPilotMesh().accessLogFile).toBe('/dev/stdout');
  });

  it.each([
    ['an unknown field', 'accessLogFile: ""\nproxyHttpPrt: 1\n', 'proxyHttpPrt', 2, 'unknown field'],
    ['a too long connect timeout', 'connectTimeout: 31s\n', 'connectTimeout', 1, 'at most 30s'],
    ['a drain longer than the parent shutdown', 'defaultConfig:\n  drainDuration: 90s\n  parentShutdownDuration: 60s\n', 'defaultConfig.parentShutdownDuration', 3, 'longer than drainDuration'],
    ['YAML 1.2 reading, as pilot-discovery: "yes" is a string', 'enableTracing: yes\n', 'enableTracing', 1, 'bool'],
    ['a syntax error', 'enableTracing: true\naccessLogFile: a: b\n', '', 2, 'YAML syntax error'],
    ['two documents (a file Pilot cannot read)', 'enableTracing: true\n---\nenableTracing: false\n', '', 2, 'YAML syntax error'],
  ])('refuses %s with its path and line', (_what, text, path, line, message) => {
    const r = parseMeshText(text);
    expect(r.meshConfig).toBeUndefined();
    expect(r.errors).toEqual([expect.objectContaining({ path, line, message: expect.stringContaining(message) })]);
  });
});

describe('checkMeshNetworks', () => {
  it.each([['networks: {}'], ['networks:'], ['']])('accepts no networks: %j', (text) => {
    expect(checkMeshNetworks(text)).toEqual([]);
  });

  it('refuses declared networks and unknown fields, naming the one accepted form', () => {
    const issues = checkMeshNetworks('networks:\n  network1:\n    endpoints: [{fromRegistry: Kubernetes}]\ngateways: []\n');
    expect(issues.map((i) => [i.path, i.line])).toEqual([['gateways', 4], ['networks', 1]]);
    expect(issues[1]?.message).toContain('network1');
    expect(issues[1]?.message).toContain('`networks: {}`');
  });
});

describe('meshConfigChanged', () => {
  it('compares what Pilot makes of the text, not the text', () => {
    const a = parseMeshText('accessLogFile: ""\nenableTracing: false\n').meshConfig!;
    const b = parseMeshText('# same, reordered\nenableTracing: false\naccessLogFile: ""\n').meshConfig!;
    expect(meshConfigChanged(a, b)).toBe(false);
    expect(meshConfigChanged(defaultPilotMesh(), parseMeshText('accessLogFile: /dev/stdout\n').meshConfig!)).toBe(false);
    expect(meshConfigChanged(a, defaultPilotMesh())).toBe(true);
  });
});

describe('fileLineOf', () => {
  const file = 'data:\n  mesh: |-\n    accessLogFile: ""\n    connectTimeout: 31s\n  quoted: "connectTimeout: 31s"\n';
  it('maps a line of a literal block to the file, and any other style to its key', () => {
    expect(fileLineOf(file, 2, 2)).toBe(4);
    expect(fileLineOf(file, 5, 1)).toBe(5);
    expect(fileLineOf('data:\n  mesh: |2+ # comment\n', 2, 1)).toBe(3);
  });
});
