// pilot-agent's error catalog; every code is listed in docs/reference/errors.md.
import { defineErrors } from '@weft/base';
import { IPTABLES_ERRORS } from './iptables/iptables-errors.js';
import { PROXY_ERRORS } from './proxy/proxy-errors.js';
import { SDS_ERRORS } from './sds/sds-errors.js';

export const AgentErrors = defineErrors({ ...IPTABLES_ERRORS, ...PROXY_ERRORS, ...SDS_ERRORS });
