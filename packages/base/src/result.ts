// Expected failures are values (STYLE habit 6): Result for one outcome, ValidationResult for many findings.

export type Result<T, E = Error> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}

/** One finding at a path such as `spec.http[0].route[1].weight`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface ValidationResult<T> {
  /** Present only when there are no errors. */
  readonly value?: T;
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
}

/** Formats issues one per line as `path: message`, the form every component prints. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n');
}

/**
 * Collects issues while walking a structure. `at('http', 0)` returns a collector whose
 * paths are prefixed `http[0]`, so validators never build path strings by hand.
 */
export class IssueCollector {
  readonly errors: Issue[];
  readonly warnings: Issue[];
  private readonly prefix: string;

  constructor(prefix = '', errors: Issue[] = [], warnings: Issue[] = []) {
    this.prefix = prefix;
    this.errors = errors;
    this.warnings = warnings;
  }

  get path(): string {
    return this.prefix;
  }

  at(...segments: ReadonlyArray<string | number>): IssueCollector {
    let p = this.prefix;
    for (const s of segments) p = typeof s === 'number' ? `${p}[${s}]` : p ? `${p}.${s}` : s;
    return new IssueCollector(p, this.errors, this.warnings);
  }

  error(message: string): void {
    this.errors.push({ path: this.prefix, message });
  }

  warn(message: string): void {
    this.warnings.push({ path: this.prefix, message });
  }

  result<T>(value: T): ValidationResult<T> {
    return this.errors.length === 0
      ? { value, errors: this.errors, warnings: this.warnings }
      : { errors: this.errors, warnings: this.warnings };
  }
}
