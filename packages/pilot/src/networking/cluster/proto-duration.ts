// Istio duration strings ("10s", "2m", "1.5s") as google.protobuf.Duration in the registry's object form.
import { parseDuration } from '@weft/api';

export interface ProtoDuration {
  readonly seconds: string;
  readonly nanos: number;
}

const NS_PER_S = 1_000_000_000n;

/**
 * Config reaching Pilot is validated, so an unparsable duration is a bug upstream; it yields
 * undefined here and the field is left unset, as Istio does with a nil duration.
 */
export function protoDuration(text: string | undefined): ProtoDuration | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  if (!d.ok) return undefined;
  return { seconds: (d.nanos / NS_PER_S).toString(), nanos: Number(d.nanos % NS_PER_S) };
}

/** Whole seconds, as Envoy's TCP keepalive fields want them (Istio drops the fraction). */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  return d.ok ? Number(d.nanos / NS_PER_S) : undefined;
}
