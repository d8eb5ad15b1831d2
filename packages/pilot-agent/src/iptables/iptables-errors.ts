// Error specs of `pilot-agent istio-iptables` (codes WEFT_AGENT_IPTABLES_*), merged into AgentErrors.
import type { ErrorSpec } from '@weft/base';

export const IPTABLES_ERRORS = {
  IPTABLES_INVALID_FLAGS: {
    code: 'WEFT_AGENT_IPTABLES_INVALID_FLAGS',
    message: 'invalid capture flags: %s',
  },
  IPTABLES_TPROXY_UNSUPPORTED: {
    code: 'WEFT_AGENT_IPTABLES_TPROXY_UNSUPPORTED',
    message: 'inbound interception mode TPROXY is not supported; use -m REDIRECT',
  },
  IPTABLES_NOT_AVAILABLE: {
    code: 'WEFT_AGENT_IPTABLES_NOT_AVAILABLE',
    message: '%s is not available: %s',
  },
  IPTABLES_COMMAND_FAILED: {
    code: 'WEFT_AGENT_IPTABLES_COMMAND_FAILED',
    message: '%s failed (%s): %s',
  },
} satisfies Record<string, ErrorSpec>;
