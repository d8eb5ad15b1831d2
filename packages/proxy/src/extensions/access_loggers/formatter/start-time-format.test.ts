import { describe, expect, it } from 'vitest';
import { compileStartTimeFormat } from './start-time-format.js';

// Friday 2016-04-15 20:17:05.310 UTC
const T = Date.UTC(2016, 3, 15, 20, 17, 5, 310);

describe('START_TIME formats', () => {
  it.each([
    [undefined, '2016-04-15T20:17:05.310Z'],
    ['', '2016-04-15T20:17:05.310Z'],
    ['%Y-%m-%dT%H:%M:%E3SZ', '2016-04-15T20:17:05.310Z'],
    ['%Y/%m/%dT%H:%M:%S%z %s', '2016/04/15T20:17:05+0000 1460751425'],
    ['%s.%3f', '1460751425.310'],
    ['%s.%6f', '1460751425.310000'],
    ['%s.%9f', '1460751425.310000000'],
    ['%f', '310000000'],
    ['%1f', '3'],
    ['%E*S', '05.31'],
    ['%E0S', '05'],
    ['%T %F %D', '20:17:05 2016-04-15 04/15/16'],
    ['%a %A %b %B %j %e %I %p %Z %Ez', 'Fri Friday Apr April 106 15 08 PM UTC +00:00'],
    ['100%% %q', '100% %q'],
    ['trailing %', 'trailing %'],
  ])('%j → %s', (format, expected) => {
    expect(compileStartTimeFormat(format)(T)).toBe(expected);
  });
});
