// Error catalogs: every package declares its errors once, with stable codes (fastify's lib/errors.js idea).

/** An error raised from a catalog entry. `code` is stable and documented in docs/reference/errors.md. */
export class WeftError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WeftError';
    this.code = code;
  }
}

export interface ErrorSpec {
  /** Stable code, `WEFT_<PACKAGE>_<NAME>`. */
  readonly code: string;
  /** Message template; `%s` placeholders are filled in order. */
  readonly message: string;
}

export interface ErrorFactory {
  readonly code: string;
  readonly message: string;
  (args?: readonly unknown[], cause?: unknown): WeftError;
  /** True when `err` was created by this factory. */
  is(err: unknown): err is WeftError;
}

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

/**
 * Builds a catalog from specs. Codes must be unique inside the catalog and start with
 * `WEFT_`, so a typo is caught when the module loads rather than when the error is raised.
 */
export function defineErrors<K extends string>(specs: Record<K, ErrorSpec>): Record<K, ErrorFactory> {
  const seen = new Set<string>();
  const out = {} as Record<K, ErrorFactory>;
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    if (!/^WEFT_[A-Z0-9_]+$/.test(spec.code)) throw new Error(`error code ${spec.code} must match WEFT_[A-Z0-9_]+`);
    if (seen.has(spec.code)) throw new Error(`duplicate error code ${spec.code}`);
    seen.add(spec.code);
    const factory = ((args: readonly unknown[] = [], cause?: unknown) =>
      new WeftError(spec.code, format(spec.message, args), cause === undefined ? undefined : { cause })) as ErrorFactory;
    Object.defineProperties(factory, {
      code: { value: spec.code },
      message: { value: spec.message },
      is: { value: (err: unknown) => err instanceof WeftError && err.code === spec.code },
    });
    out[key] = factory;
  }
  return out;
}

/** All specs of a catalog, for documentation and the uniqueness test across packages. */
export function listErrors(catalog: Record<string, ErrorFactory>): ErrorSpec[] {
  return Object.values(catalog).map((f) => ({ code: f.code, message: f.message }));
}
