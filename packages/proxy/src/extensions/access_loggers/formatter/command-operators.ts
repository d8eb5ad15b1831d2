// Envoy's access log command operators, by name: each builds, once per format, an extractor that
// reads one value from an AccessLogEntry (undefined prints `-`). The table is the list of what
// the proxy accepts; a name not in it is a configuration error.
import { hostname } from 'node:os';
import { formatSocketAddress, stripMapped, type AccessLogEntry, type HeaderLookup } from '../access-log-entry.js';
import { formatResponseFlags } from './response-flags.js';
import { compileStartTimeFormat } from './start-time-format.js';

export type OperatorValue = string | number | undefined;
export type Extractor = (entry: AccessLogEntry) => OperatorValue;

interface OperatorSpec {
  /** Whether `(...)` is forbidden, required or optional. */
  readonly arg: 'none' | 'required' | 'optional';
  /** Whether the value is a number (typed JSON formats keep it one). */
  readonly numeric?: boolean;
  build(arg: string | undefined): Extractor | string;
}

const plain = (extract: Extractor, numeric = false): OperatorSpec => ({ arg: 'none', numeric, build: () => extract });

/** `REQ(X?Y)`: header X, or Y when X is absent; names are case-insensitive. */
function headerOperator(pick: (e: AccessLogEntry) => HeaderLookup | undefined): OperatorSpec {
  return {
    arg: 'required',
    build: (arg = '') => {
      const names = arg.split('?');
      if (names.length > 2) return `more than one alternative header in "${arg}"`;
      const [main, alt] = names.map((n) => n.trim().toLowerCase());
      if (!main || alt === '') return `a header name is required in "${arg}"`;
      if (alt === undefined) return (e) => pick(e)?.get(main);
      return (e) => {
        const h = pick(e);
        return h?.get(main) ?? h?.get(alt);
      };
    },
  };
}

/** Known to Envoy but not recorded by the proxy yet (TLS peer details, filter state): always `-`. */
const NOT_RECORDED: Extractor = () => undefined;
const notRecorded = (arg: OperatorSpec['arg'] = 'none'): OperatorSpec => ({ arg, build: () => NOT_RECORDED });

const withoutPort = (a: AccessLogEntry['downstreamRemoteAddress']) => (a ? stripMapped(a.ip) : undefined);
const withPort = (a: AccessLogEntry['downstreamRemoteAddress']) => (a ? formatSocketAddress(a) : undefined);

const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map<string, OperatorSpec>([
  ['START_TIME', { arg: 'optional', build: (fmt) => {
    const format = compileStartTimeFormat(fmt);
    return (e) => format(e.startTime);
  } }],
  ['REQ', headerOperator((e) => e.requestHeaders)],
  ['RESP', headerOperator((e) => e.responseHeaders)],
  // Response trailers are not recorded: a valid TRAILER(...) prints `-`.
  ['TRAILER', headerOperator(() => undefined)],
  ['PROTOCOL', plain((e) => e.protocol)],
  ['RESPONSE_CODE', plain((e) => e.responseCode, true)],
  ['RESPONSE_CODE_DETAILS', plain((e) => e.responseCodeDetails)],
  ['RESPONSE_FLAGS', plain((e) => formatResponseFlags(e.responseFlags))],
  ['BYTES_RECEIVED', plain((e) => e.bytesReceived, true)],
  ['BYTES_SENT', plain((e) => e.bytesSent, true)],
  ['DURATION', plain((e) => e.durationMs, true)],
  ['RESPONSE_DURATION', plain((e) => e.responseDurationMs, true)],
  ['RESPONSE_TX_DURATION', plain((e) => (e.durationMs !== undefined && e.responseDurationMs !== undefined ? e.durationMs - e.responseDurationMs : undefined), true)],
  ['REQUEST_DURATION', notRecorded()],
  ['UPSTREAM_HOST', plain((e) => e.upstreamHost)],
  ['UPSTREAM_CLUSTER', plain((e) => e.upstreamCluster)],
  ['UPSTREAM_LOCAL_ADDRESS', plain((e) => e.upstreamLocalAddress)],
  ['UPSTREAM_TRANSPORT_FAILURE_REASON', plain((e) => e.upstreamTransportFailureReason)],
  ['DOWNSTREAM_REMOTE_ADDRESS', plain((e) => withPort(e.downstreamRemoteAddress))],
  ['DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', plain((e) => withoutPort(e.downstreamRemoteAddress))],
  ['DOWNSTREAM_DIRECT_REMOTE_ADDRESS', plain((e) => withPort(e.downstreamRemoteAddress))],
  ['DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT', plain((e) => withoutPort(e.downstreamRemoteAddress))],
  ['DOWNSTREAM_LOCAL_ADDRESS', plain((e) => withPort(e.downstreamLocalAddress))],
  ['DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', plain((e) => withoutPort(e.downstreamLocalAddress))],
  ['DOWNSTREAM_LOCAL_PORT', plain((e) => e.downstreamLocalAddress?.port, true)],
  ['REQUESTED_SERVER_NAME', plain((e) => e.requestedServerName)],
  ['ROUTE_NAME', plain((e) => e.routeName)],
  ['HOSTNAME', { arg: 'none', build: () => {
    const name = hostname();
    return () => name;
  } }],
  // No filter writes dynamic metadata or filter state yet (Istio 1.3 logs istio.mixer:status).
  ['DYNAMIC_METADATA', notRecorded('required')],
  ['FILTER_STATE', notRecorded('required')],
  ['CONNECTION_ID', notRecorded()],
  ...[
    'DOWNSTREAM_LOCAL_URI_SAN',
    'DOWNSTREAM_PEER_URI_SAN',
    'DOWNSTREAM_LOCAL_SUBJECT',
    'DOWNSTREAM_PEER_SUBJECT',
    'DOWNSTREAM_PEER_ISSUER',
    'DOWNSTREAM_TLS_SESSION_ID',
    'DOWNSTREAM_TLS_CIPHER',
    'DOWNSTREAM_TLS_VERSION',
    'DOWNSTREAM_PEER_FINGERPRINT_256',
    'DOWNSTREAM_PEER_FINGERPRINT_1',
    'DOWNSTREAM_PEER_SERIAL',
    'DOWNSTREAM_PEER_CERT',
    'DOWNSTREAM_PEER_CERT_V_START',
    'DOWNSTREAM_PEER_CERT_V_END',
  ].map((name): [string, OperatorSpec] => [name, notRecorded()]),
]);

export interface BuiltOperator {
  readonly extract: Extractor;
  readonly numeric: boolean;
}

/** Builds one operator occurrence, or explains why it cannot be. */
export function buildOperator(name: string, arg: string | undefined, maxLength: number | undefined): BuiltOperator | string {
  const spec = OPERATORS.get(name);
  if (!spec) return `unknown command operator %${name}%`;
  if (spec.arg === 'none' && arg !== undefined) return `%${name}% takes no argument`;
  if (spec.arg === 'required' && arg === undefined) return `%${name}(...)% needs an argument`;
  const built = spec.build(arg);
  if (typeof built === 'string') return `%${name}(${arg ?? ''})%: ${built}`;
  if (maxLength === undefined) return { extract: built, numeric: spec.numeric ?? false };
  return {
    extract: (e) => {
      const v = built(e);
      return v === undefined ? v : String(v).slice(0, maxLength);
    },
    numeric: false,
  };
}
