import { describe, expect, it } from 'vitest';
import { formatIssues, IssueCollector } from './result.js';

describe('IssueCollector', () => {
  it('builds paths from segments and shares the lists with children', () => {
    const root = new IssueCollector('spec');
    root.at('http', 0, 'route', 1, 'weight').error('must be in 0..100');
    root.at('hosts', 2).warn('short name');
    expect(root.errors).toEqual([{ path: 'spec.http[0].route[1].weight', message: 'must be in 0..100' }]);
    expect(root.warnings).toEqual([{ path: 'spec.hosts[2]', message: 'short name' }]);
    expect(root.result(1).value).toBeUndefined();
    expect(new IssueCollector().result(1).value).toBe(1);
  });

  it('formats issues as path: message lines', () => {
    expect(formatIssues([{ path: 'a.b', message: 'x' }, { path: '', message: 'y' }])).toBe('a.b: x\ny');
  });
});
