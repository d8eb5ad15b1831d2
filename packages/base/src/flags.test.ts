import { describe, expect, it } from 'vitest';
import { flag, formatHelp, parseFlags } from './flags.js';

const specs = {
  configDir: flag('string', 'directory of Istio YAML'),
  grpcAddr: flag('string', 'ADS address', { default: ':15010' }),
  debounceAfter: flag('duration', 'quiet period', { default: 100, env: 'PILOT_DEBOUNCE_AFTER' }),
  concurrency: flag('int', 'workers', { short: 'n' }),
  keepalive: flag('bool', 'keep alive', { default: false }),
  registries: flag('strings', 'registries', { default: ['ServiceEntry'] }),
};

describe('parseFlags', () => {
  it.each([
    [['--configDir=/etc/istio'], { configDir: '/etc/istio' }],
    [['--configDir', '/etc/istio'], { configDir: '/etc/istio' }],
    [['-n', '4'], { concurrency: 4 }],
    [['-n=4'], { concurrency: 4 }],
    [['--keepalive'], { keepalive: true }],
    [['--keepalive=false'], { keepalive: false }],
    [['--debounceAfter=1.5s'], { debounceAfter: 1500 }],
    [['--registries=Kubernetes,ServiceEntry'], { registries: ['Kubernetes', 'ServiceEntry'] }],
    [[], { grpcAddr: ':15010', debounceAfter: 100, keepalive: false, registries: ['ServiceEntry'] }],
  ])('parses %j', (argv, expected) => {
    const r = parseFlags(specs, argv);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.flags.values).toMatchObject(expected);
  });

  it('reads the env variable when the flag is absent, and the flag wins over it', () => {
    const env = { PILOT_DEBOUNCE_AFTER: '250ms' };
    const a = parseFlags(specs, [], env);
    const b = parseFlags(specs, ['--debounceAfter=1s'], env);
    expect(a.ok && a.flags.values.debounceAfter).toBe(250);
    expect(b.ok && b.flags.values.debounceAfter).toBe(1000);
  });

  it('collects every error with the flag as its path', () => {
    const r = parseFlags(specs, ['--nope', '-n', 'x', '--debounceAfter=fast', '--configDir'], { PILOT_DEBOUNCE_AFTER: 'x' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        { path: '--nope', message: 'unknown flag' },
        { path: '--concurrency', message: 'invalid integer "x"' },
        { path: '--debounceAfter', message: 'invalid duration "fast" (use Go syntax such as 100ms, 10s)' },
        { path: '--configDir', message: 'flag needs a value' },
      ]);
  });

  it('keeps positionals and stops at --', () => {
    const r = parseFlags(specs, ['discovery', '--', '--configDir']);
    expect(r.ok && r.flags.positionals).toEqual(['discovery', '--configDir']);
  });

  it('help lists every flag with default and env', () => {
    const text = formatHelp('pilot-discovery discovery [flags]', specs);
    expect(text).toContain('--grpcAddr string');
    expect(text).toContain('(default ":15010")');
    expect(text).toContain('(default "100ms") [$PILOT_DEBOUNCE_AFTER]');
    expect(text).toContain('-n, --concurrency int');
  });
});
