// DirectResponseAction: a fixed status and optional inline body (at most
// max_direct_response_body_size_bytes, 4096 by default). File and environment bodies would need I/O
// at config time and are refused.
import type { IssueCollector } from '@weft/base';
import type { DirectResponseConfig } from './config-types.js';

export interface CompiledDirectResponse {
  readonly status: number;
  readonly body?: string;
  readonly bodyBytes?: Uint8Array;
}

export const DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES = 4096;

export function compileDirectResponse(config: DirectResponseConfig, maxBodyBytes: number, issues: IssueCollector): CompiledDirectResponse {
  if (config.status < 200 || config.status > 599) issues.at('status').error(`status ${config.status} is not in [200, 600)`);
  const body = bodyOf(config, issues.at('body'));
  if (body === undefined) return { status: config.status };
  const bodyBytes = typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body;
  if (bodyBytes.byteLength > maxBodyBytes) issues.at('body').error(`body is ${bodyBytes.byteLength} bytes; the maximum is ${maxBodyBytes}`);
  return { status: config.status, body: typeof body === 'string' ? body : Buffer.from(body).toString('utf8'), bodyBytes };
}

function bodyOf(config: DirectResponseConfig, issues: IssueCollector): string | Uint8Array | undefined {
  const source = config.body;
  if (!source) return undefined;
  switch (source.specifier) {
    case 'inline_string':
      return source.inline_string ?? '';
    case 'inline_bytes':
      return new Uint8Array(source.inline_bytes ?? new Uint8Array());
    case 'filename':
    case 'environment_variable':
      issues.at(source.specifier).error(`${source.specifier} bodies are not supported; use inline_string or inline_bytes`);
      return undefined;
    default:
      return undefined;
  }
}
