// %START_TIME(...)%: a strftime-like format compiled once into a list of parts. Envoy formats in UTC
// and adds %s (epoch seconds), %f / %1f..%9f (fractional seconds) and absl's %E<n>S / %E*S (seconds
// with n / all significant fractional digits). Weft's clock has millisecond resolution, so digits
// past the third are zeros. Unknown specifiers are copied as written, as strftime does.

type Part = string | ((d: Date, ms: number) => string);

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const day = (d: Date): string => DAYS[d.getUTCDay()] ?? '';
const month = (d: Date): string => MONTHS[d.getUTCMonth()] ?? '';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** The fraction of the second with `digits` digits (1..9), from a millisecond timestamp. */
function fraction(ms: number, digits: number): string {
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return (millis + '000000').slice(0, digits);
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

const SIMPLE: Record<string, Part> = {
  Y: (d) => String(d.getUTCFullYear()),
  y: (d) => pad2(d.getUTCFullYear() % 100),
  C: (d) => pad2(Math.floor(d.getUTCFullYear() / 100)),
  m: (d) => pad2(d.getUTCMonth() + 1),
  d: (d) => pad2(d.getUTCDate()),
  e: (d) => String(d.getUTCDate()).padStart(2, ' '),
  H: (d) => pad2(d.getUTCHours()),
  I: (d) => pad2(d.getUTCHours() % 12 || 12),
  p: (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
  M: (d) => pad2(d.getUTCMinutes()),
  S: (d) => pad2(d.getUTCSeconds()),
  j: (d) => String(dayOfYear(d)).padStart(3, '0'),
  a: (d) => day(d).slice(0, 3),
  A: day,
  b: (d) => month(d).slice(0, 3),
  h: (d) => month(d).slice(0, 3),
  B: month,
  u: (d) => String(d.getUTCDay() || 7),
  w: (d) => String(d.getUTCDay()),
  z: () => '+0000',
  Z: () => 'UTC',
  s: (_d, ms) => String(Math.floor(ms / 1000)),
  f: (_d, ms) => fraction(ms, 9),
  n: '\n',
  t: '\t',
  '%': '%',
};

/** Composite specifiers, expanded before compiling. */
const COMPOSITE: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M', r: '%I:%M:%S %p' };

function compileParts(format: string, out: Part[]): void {
  let literal = '';
  const flush = () => {
    if (literal) out.push(literal);
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format.charAt(i);
    if (c !== '%' || i + 1 >= format.length) {
      literal += c;
      continue;
    }
    const next = format.charAt(i + 1);
    // %1f..%9f: that many fractional digits.
    if (next >= '1' && next <= '9' && format[i + 2] === 'f') {
      const digits = Number(next);
      flush();
      out.push((_d, ms) => fraction(ms, digits));
      i += 2;
      continue;
    }
    // %E<n>S, %E*S: seconds with a fraction; %Ez: offset with a colon.
    if (next === 'E') {
      const m = /^E(\d|\*)S/.exec(format.slice(i + 1));
      if (m) {
        const n = m[1] === '*' ? -1 : Number(m[1]);
        flush();
        out.push((d, ms) => {
          const secs = pad2(d.getUTCSeconds());
          if (n === 0) return secs;
          const frac = n < 0 ? fraction(ms, 3).replace(/0+$/, '') : fraction(ms, n);
          return frac ? `${secs}.${frac}` : secs;
        });
        i += m[0].length;
        continue;
      }
      if (format[i + 2] === 'z') {
        literal += '+00:00';
        i += 2;
        continue;
      }
    }
    const composite = COMPOSITE[next];
    if (composite) {
      flush();
      compileParts(composite, out);
      i += 1;
      continue;
    }
    const simple = SIMPLE[next];
    if (simple === undefined) {
      literal += c;
      continue;
    }
    if (typeof simple === 'string') literal += simple;
    else {
      flush();
      out.push(simple);
    }
    i += 1;
  }
  flush();
}

/** Compiles a START_TIME format; none (or empty) is Envoy's default, ISO 8601 UTC with milliseconds. */
export function compileStartTimeFormat(format: string | undefined): (ms: number) => string {
  if (!format) return (ms) => new Date(ms).toISOString();
  const parts: Part[] = [];
  compileParts(format, parts);
  return (ms) => {
    const d = new Date(ms);
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : p(d, ms);
    return s;
  };
}
