// weft-proxy's error catalog; every code is listed in docs/reference/errors.md.
import { defineErrors } from '@weft/base';

export const ProxyErrors = defineErrors({
  BOOTSTRAP_READ: { code: 'WEFT_PROXY_BOOTSTRAP_READ', message: 'cannot read bootstrap %s: %s' },
  BOOTSTRAP_SYNTAX: { code: 'WEFT_PROXY_BOOTSTRAP_SYNTAX', message: 'bootstrap %s is not valid JSON or YAML: %s' },
  BOOTSTRAP_INVALID: { code: 'WEFT_PROXY_BOOTSTRAP_INVALID', message: 'bootstrap %s is invalid:\n%s' },
  LISTENER_BIND: { code: 'WEFT_PROXY_LISTENER_BIND', message: 'listener %s cannot bind %s: %s' },
  CONFIG_REJECTED: { code: 'WEFT_PROXY_CONFIG_REJECTED', message: '%s %s rejected: %s' },
  ACCESS_LOG_WRITE: { code: 'WEFT_PROXY_ACCESS_LOG_WRITE', message: 'access log %s cannot be written: %s' },
});
