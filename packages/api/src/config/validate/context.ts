// Path-tracking issue collector: validators walk down with at(), report at the current path, never stop early.
import type { Issue } from '../issue.js';

/** A field name, a list index, or a user-data map key (rendered as `["key"]`, never as a field). */
export type PathSegment = string | number | { readonly key: string };

/** Renders segments as `spec.http[0].match[0].headers["end-user"].exact`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string') out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return out;
}

/** One reported issue with its raw path, before it is mapped to a YAML line. */
export interface RecordedIssue {
  readonly severity: 'error' | 'warning';
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

interface Sink {
  readonly recorded: RecordedIssue[];
  /** Paths whose value the decoder dropped; semantic errors there would only repeat the decode error. */
  readonly rejected: Set<string>;
  /** Fields copied into every issue (source, document, kind, name). */
  base: Omit<Issue, 'path' | 'message'>;
}

/** Immutable cursor into the object being validated; cheap to create one per field. */
export class Ctx {
  private constructor(
    private readonly sink: Sink,
    readonly segments: readonly PathSegment[],
  ) {}

  static root(base: Omit<Issue, 'path' | 'message'> = {}): Ctx {
    return new Ctx({ recorded: [], rejected: new Set(), base: { ...base } }, []);
  }

  get path(): string {
    return formatPath(this.segments);
  }

  /** Descends into a field (string), a list element (number) or a map entry (`{ key }`). */
  at(...more: PathSegment[]): Ctx {
    return new Ctx(this.sink, [...this.segments, ...more]);
  }

  /** Descends into a user-data map entry. */
  key(k: string): Ctx {
    return this.at({ key: k });
  }

  error(message: string): void {
    if (this.rejected) return;
    this.sink.recorded.push({ severity: 'error', segments: this.segments, message });
  }

  /** Reports an error and marks the value here as dropped (used by the decoder). */
  reject(message: string): void {
    this.error(message);
    this.sink.rejected.add(this.path);
  }

  /** True when the decoder dropped the value at this path or an enclosing one. */
  get rejected(): boolean {
    if (this.sink.rejected.size === 0) return false;
    for (let n = this.segments.length; n >= 0; n--) {
      if (this.sink.rejected.has(formatPath(this.segments.slice(0, n)))) return true;
    }
    return false;
  }

  warn(message: string): void {
    this.sink.recorded.push({ severity: 'warning', segments: this.segments, message });
  }

  /** Adds kind/name once the envelope is known; applies to issues already reported too. */
  describe(base: Omit<Issue, 'path' | 'message'>): void {
    this.sink.base = { ...this.sink.base, ...base };
  }

  /** Errors reported so far anywhere under this root; lets a validator ask "did that sub-tree fail?". */
  get errorCount(): number {
    return this.sink.recorded.filter((r) => r.severity === 'error').length;
  }

  get recorded(): readonly RecordedIssue[] {
    return this.sink.recorded;
  }

  /** The collected issues; `lineOf` maps a path to a source line when the caller has the YAML. */
  result(lineOf?: (segments: readonly PathSegment[]) => number | undefined): { errors: Issue[]; warnings: Issue[] } {
    const errors: Issue[] = [];
    const warnings: Issue[] = [];
    for (const r of this.sink.recorded) {
      const line = lineOf?.(r.segments);
      const issue: Issue = {
        ...this.sink.base,
        path: formatPath(r.segments),
        message: r.message,
        ...(line !== undefined ? { line } : {}),
      };
      (r.severity === 'error' ? errors : warnings).push(issue);
    }
    return { errors, warnings };
  }
}

/**
 * Calls `fn` for each entry of a decoded list with the entry's own Ctx. Entries that failed to decode
 * are holes (undefined) and are skipped: their errors were already reported by the decoder.
 */
export function eachAt<T>(items: readonly (T | undefined)[] | undefined, ctx: Ctx, fn: (item: T, at: Ctx, index: number) => void): void {
  items?.forEach((item, i) => {
    if (item !== undefined) fn(item, ctx.at(i), i);
  });
}
