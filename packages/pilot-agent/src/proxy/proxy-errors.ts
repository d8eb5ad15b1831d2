// Error specs of `pilot-agent proxy` (codes WEFT_AGENT_PROXY_*), merged into AgentErrors.
// Keys start with PROXY_ so that they never collide with the iptables catalog they are merged with.
import type { ErrorSpec } from '@weft/base';

export const PROXY_ERRORS = {
  PROXY_NO_ROLE: { code: 'WEFT_AGENT_PROXY_NO_ROLE', message: 'no proxy role given: use `pilot-agent proxy sidecar` or `pilot-agent proxy router`' },
  PROXY_BAD_ROLE: { code: 'WEFT_AGENT_PROXY_BAD_ROLE', message: 'unknown proxy role "%s" (allowed: sidecar, router)' },
  PROXY_BAD_FLAG: { code: 'WEFT_AGENT_PROXY_BAD_FLAG', message: '--%s: %s' },
  PROXY_AUTH_POLICY: {
    code: 'WEFT_AGENT_PROXY_AUTH_POLICY',
    message: '--controlPlaneAuthPolicy %s is not supported: only NONE works until Citadel lands (MUTUAL_TLS needs workload certificates)',
  },
  PROXY_IDENTITY: { code: 'WEFT_AGENT_PROXY_IDENTITY', message: 'cannot build the node ID: %s' },
  PROXY_BAD_ENV: { code: 'WEFT_AGENT_PROXY_BAD_ENV', message: '$%s: %s' },
  PROXY_TEMPLATE_READ: { code: 'WEFT_AGENT_PROXY_TEMPLATE_READ', message: 'cannot read --templateFile %s: %s' },
  PROXY_TEMPLATE_UNSUPPORTED: {
    code: 'WEFT_AGENT_PROXY_TEMPLATE_UNSUPPORTED',
    message: '--templateFile %s line %s: %s is not supported; only {{ .name }} placeholders are (no if, range, pipelines or functions)',
  },
  PROXY_TEMPLATE_PLACEHOLDER: { code: 'WEFT_AGENT_PROXY_TEMPLATE_PLACEHOLDER', message: '--templateFile %s line %s: unknown placeholder {{ .%s }} (known: %s)' },
  PROXY_TEMPLATE_JSON: { code: 'WEFT_AGENT_PROXY_TEMPLATE_JSON', message: '--templateFile %s does not render to a JSON object: %s' },
  PROXY_BINARY_NOT_FOUND: { code: 'WEFT_AGENT_PROXY_BINARY_NOT_FOUND', message: 'weft-proxy binary not found: %s' },
  PROXY_BOOTSTRAP_WRITE: { code: 'WEFT_AGENT_PROXY_BOOTSTRAP_WRITE', message: 'cannot write the bootstrap %s: %s' },
  PROXY_STATUS_LISTEN: { code: 'WEFT_AGENT_PROXY_STATUS_LISTEN', message: 'the %s server cannot listen on %s: %s' },
  PROXY_SPAWN: { code: 'WEFT_AGENT_PROXY_SPAWN', message: 'cannot start the proxy %s: %s' },
  PROXY_GAVE_UP: { code: 'WEFT_AGENT_PROXY_GAVE_UP', message: 'the proxy failed %s times in a row, each within %s of starting (last: %s); giving up' },
} satisfies Record<string, ErrorSpec>;
