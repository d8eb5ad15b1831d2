// JSON forms of google.protobuf.Duration ("1.5s") and Timestamp (RFC 3339), exact to the nanosecond.

/** "1.5s", "-0.000000001s", "3s" → {seconds, nanos}; undefined when malformed or out of range. */
export function parseProtoDuration(text: string): { seconds: string; nanos: number } | undefined {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = BigInt(m[2] as string);
  if (seconds > 315_576_000_000n) return undefined; // ±10,000 years, the proto's documented range
  const nanos = Number((m[3] ?? '').padEnd(9, '0') || '0');
  const neg = m[1] === '-';
  return { seconds: String(neg ? -seconds : seconds), nanos: neg ? -nanos : nanos };
}

/** ".5", ".000001" style fraction with 0, 3, 6 or 9 digits, as the proto3 JSON printers write it. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(Math.abs(nanos)).padStart(9, '0');
  return `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
}

export function formatProtoDuration(seconds: string, nanos: number): string {
  const s = BigInt(seconds);
  const neg = s < 0n || nanos < 0;
  return `${neg ? '-' : ''}${(s < 0n ? -s : s).toString()}${fraction(nanos)}s`;
}

/** RFC 3339 with optional fraction and offset → {seconds, nanos} since the epoch. */
export function parseTimestamp(text: string): { seconds: string; nanos: number } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number((m[2] ?? '').padEnd(9, '0') || '0') };
}

export function formatTimestamp(seconds: string, nanos: number): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${fraction(nanos)}Z`;
}
