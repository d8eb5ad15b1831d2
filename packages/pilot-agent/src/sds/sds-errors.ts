// Error specs of pilot-agent's SDS server (codes WEFT_AGENT_SDS_*), merged into AgentErrors.
import type { ErrorSpec } from '@weft/base';

export const SDS_ERRORS = {
  SDS_SOCKET_PATH_TOO_LONG: {
    code: 'WEFT_AGENT_SDS_SOCKET_PATH_TOO_LONG',
    message: 'the SDS socket path %s is %s bytes, more than the 107 a Unix socket path may have (it is %s resolved against the working directory); start pilot-agent from a shorter working directory',
  },
  SDS_LISTEN: { code: 'WEFT_AGENT_SDS_LISTEN', message: 'the SDS server cannot listen on %s: %s; secrets are not served to the proxy' },
  SDS_SECRET_FILE: { code: 'WEFT_AGENT_SDS_SECRET_FILE', message: 'SDS secret %s is not sent: %s: %s' },
} satisfies Record<string, ErrorSpec>;
