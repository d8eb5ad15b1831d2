import { describe, expect, it } from 'vitest';
import { lookupImage, parseImageMap, resolveCommand } from './image-map.js';

const text = `
images:
  weft/weather-forecast:
    command: [node, apps/forecast.mjs]
  weft/weather-forecast:v2:
    command: [node, apps/forecast.mjs, --v2]
`;

describe('local-images.yaml', () => {
  const map = parseImageMap(text, '/samples/weather/local-images.yaml').value!;

  it('matches repository:tag first, then the repository for any tag or digest', () => {
    expect(lookupImage(map, 'weft/weather-forecast:v2')?.command).toEqual(['node', 'apps/forecast.mjs', '--v2']);
    expect(lookupImage(map, 'weft/weather-forecast:v1')?.command).toEqual(['node', 'apps/forecast.mjs']);
    expect(lookupImage(map, 'weft/weather-forecast@sha256:abc')?.command).toEqual(['node', 'apps/forecast.mjs']);
    expect(lookupImage(map, 'weft/weather-frontend:v1')).toBeUndefined();
  });

  it('runs `node` as the given Node.js, in the file folder; command replaces, args append', () => {
    expect(resolveCommand(map, 'weft/weather-forecast:v1', { args: ['--x'] }, '/usr/bin/node20')).toEqual({ argv: ['/usr/bin/node20', 'apps/forecast.mjs', '--x'], cwd: '/samples/weather' });
    expect(resolveCommand(map, 'weft/weather-forecast:v1', { command: ['sleep'], args: ['1'] }, '/n')).toEqual({ argv: ['sleep', '1'], cwd: '/samples/weather' });
    expect(resolveCommand(map, 'nope:v1', {}, '/n')).toBeUndefined();
  });

  it('refuses malformed files with the path', () => {
    expect(parseImageMap('images: {a: {command: []}, b: {cmd: [x], command: [y]}}', 'f').errors.map((e) => e.path)).toEqual(['images.a.command', 'images.b.cmd']);
    expect(parseImageMap('foo: 1', 'f').errors.map((e) => e.path)).toEqual(['images']);
    expect(parseImageMap('images: [', 'f').errors).toHaveLength(1);
  });
});
