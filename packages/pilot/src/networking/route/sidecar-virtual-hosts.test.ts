import { hostsMatch } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { Service } from '../../model/service.js';
import { servicesMatching } from './sidecar-virtual-hosts.js';

const svc = (hostname: string) => ({ hostname }) as Service;

describe('servicesMatching', () => {
  const services = ['b.other.com', '*.wild.com', 'a.wild.com', 'x.wild.com', '*.com'].map(svc);
  const registry = new Map(services.map((s) => [s.hostname, s]));
  const match = servicesMatching(registry);
  const names = (host: string) => match(host).map((s) => s.hostname);

  it.each(['a.wild.com', 'c.wild.com', 'b.other.com', '*.wild.com', '*.com', '*', 'nothing.org', 'wild.com'])('%s: what hostsMatch over every service gives, in registry order', (host) => {
    expect(names(host)).toEqual(services.filter((s) => hostsMatch(s.hostname, host)).map((s) => s.hostname));
  });

  it('finds the exact service and the wildcards covering a concrete host', () => {
    expect(names('a.wild.com')).toEqual(['*.wild.com', 'a.wild.com', '*.com']);
    expect(names('nothing.org')).toEqual([]);
  });
});
