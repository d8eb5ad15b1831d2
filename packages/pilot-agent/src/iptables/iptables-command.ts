// `pilot-agent istio-iptables`: istio-init's capture step (Istio 1.3's istio-iptables.sh), REDIRECT mode,
// IPv4. Flags → CaptureConfig → rules (pure); this file only wires them to iptables-save/-restore.
import { readFile } from 'node:fs/promises';
import { createLogger, flag, formatIssues, moduleLogger, type Command, type CommandIO, type FlagValues, type Logger } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { DEFAULT_PROXY_UID, parseCaptureConfig, type CaptureConfig } from './capture-config.js';
import { captureRules, natTransaction } from './capture-rules.js';
import { execRunner, type IptablesRunner } from './iptables-runner.js';
import { parseNatTable, removalCommands, tableOf } from './nat-table.js';

const NAME = 'pilot-agent istio-iptables';
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

// Long names are the Go rewrite's (1.4), short letters and env variables the 1.3 script's.
const flags = {
  'envoy-port': flag('int', 'Envoy port to which all captured outbound TCP traffic is redirected', { short: 'p', default: 15001, env: 'ENVOY_PORT' }),
  'inbound-capture-port': flag('int', 'port to which inbound TCP traffic is redirected when -b is "*"', { short: 'z', default: 15006, env: 'INBOUND_CAPTURE_PORT' }),
  'proxy-uid': flag('string', 'comma list of uids whose traffic is not captured (default: the istio-proxy user or 1337, and 0)', { short: 'u' }),
  'proxy-gid': flag('string', 'comma list of gids whose traffic is not captured (default: the uid list)', { short: 'g' }),
  'istio-inbound-interception-mode': flag('string', 'inbound interception mode; only REDIRECT is supported', { short: 'm', default: 'REDIRECT', env: 'ISTIO_INBOUND_INTERCEPTION_MODE' }),
  'istio-inbound-ports': flag('string', 'comma list of inbound ports to capture, "*" for all; empty captures none', { short: 'b', env: 'ISTIO_INBOUND_PORTS' }),
  'istio-local-exclude-ports': flag('string', 'comma list of inbound ports not captured when -b is "*"', { short: 'd', env: 'ISTIO_LOCAL_EXCLUDE_PORTS' }),
  'istio-service-cidr': flag('string', 'comma list of IPv4 CIDRs whose outbound traffic is captured, "*" for all; empty captures none', { short: 'i', env: 'ISTIO_SERVICE_CIDR' }),
  'istio-service-exclude-cidr': flag('string', 'comma list of IPv4 CIDRs whose outbound traffic is not captured', { short: 'x', env: 'ISTIO_SERVICE_EXCLUDE_CIDR' }),
  'istio-local-outbound-ports-exclude': flag('string', 'comma list of outbound ports not captured', { short: 'o', env: 'ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE' }),
  'kube-virt-interfaces': flag('string', 'comma list of virtual interfaces whose inbound traffic is treated as outbound', { short: 'k' }),
  'disable-redirection-on-local-loopback': flag('bool', 'do not send an app\'s calls to its own pod IP through the proxy', { default: false, env: 'DISABLE_REDIRECTION_ON_LOCAL_LOOPBACK' }),
  'dry-run': flag('bool', 'print the iptables-restore input instead of applying it (needs no root, runs no iptables)', { short: 'n', default: false }),
  clean: flag('bool', 'remove the ISTIO_* capture chains and the jumps to them instead of adding rules', { default: false }),
  'log-level': flag('string', 'log level: trace, debug, info, warn, error, silent', { default: 'info' }),
};

type Values = FlagValues<typeof flags>;

/** The uid of `user` in /etc/passwd, as the 1.3 script's `id -u istio-proxy`. */
async function passwdUid(user: string): Promise<number | undefined> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.split(':')[0] === user);
  const uid = line?.split(':')[2];
  return uid !== undefined && /^\d+$/.test(uid) ? Number(uid) : undefined;
}

function configFrom(values: Values, defaultUid: number) {
  return parseCaptureConfig(
    {
      proxyPort: values['envoy-port'],
      inboundCapturePort: values['inbound-capture-port'],
      proxyUid: values['proxy-uid'],
      proxyGid: values['proxy-gid'],
      mode: values['istio-inbound-interception-mode'],
      inboundPorts: values['istio-inbound-ports'],
      inboundExcludePorts: values['istio-local-exclude-ports'],
      outboundIncludeCidrs: values['istio-service-cidr'],
      outboundExcludeCidrs: values['istio-service-exclude-cidr'],
      outboundExcludePorts: values['istio-local-outbound-ports-exclude'],
      kubeVirtInterfaces: values['kube-virt-interfaces'],
      disableLocalLoopbackRedirect: values['disable-redirection-on-local-loopback'],
    },
    defaultUid,
  );
}

function fail(log: Logger, e: { code: string; message: string }, msg: string): number {
  log.error({ code: e.code, error: e.message }, msg);
  return 1;
}

/** Reads the nat table, then removes earlier capture rules and (unless cleaning) adds the new ones, atomically. */
async function apply(runner: IptablesRunner, config: CaptureConfig, clean: boolean, log: Logger): Promise<number> {
  const available = await runner.check();
  if (!available.ok) return fail(log, available.error, 'iptables is not available');
  const saved = await runner.saveNat();
  if (!saved.ok) return fail(log, saved.error, 'cannot read the nat table');
  const removals = removalCommands(parseNatTable(saved.value), config.kubeVirtInterfaces);
  if (clean && removals.length === 0) {
    log.info('no capture rules to clean');
    return 0;
  }
  const add = clean ? undefined : captureRules(config);
  const input = natTransaction(removals, add);
  log.debug({ input }, 'iptables-restore input');
  const restored = await runner.restore(input);
  if (!restored.ok) return fail(log, restored.error, clean ? 'cannot remove the capture rules; nothing was changed' : 'cannot write the capture rules; nothing was changed');
  if (clean) log.info({ removed: removals.length }, 'capture rules removed');
  else log.info({ removed: removals.length, rules: add?.rules.length ?? 0, chains: add?.chains }, 'capture rules written');
  const after = await runner.saveNat();
  if (after.ok) log.debug({ table: after.value }, 'nat table now');
  return 0;
}

export function makeIptablesCommand(runner: () => IptablesRunner = () => execRunner()): Command<typeof flags> {
  return {
    name: 'istio-iptables',
    summary: 'Write (or --clean) the nat-table rules that capture a pod\'s TCP traffic to the proxy, as istio-init does',
    usage: '-p PORT -z PORT -u UID [-g GID] -m REDIRECT [-b PORTS] [-d PORTS] [-i CIDRS] [-x CIDRS] [-o PORTS] [-k IFS] [--dry-run] [--clean]',
    flags,
    run: async ({ values, positionals }, io: CommandIO) => {
      const usageError = (message: string, code: string) => {
        io.stderr(`${NAME}: ${message} [${code}]\n`);
        return 2;
      };
      if (values['istio-inbound-interception-mode'] === 'TPROXY') {
        const e = AgentErrors.IPTABLES_TPROXY_UNSUPPORTED();
        return usageError(e.message, e.code);
      }
      const problems: string[] = [];
      if (positionals.length > 0) problems.push(`unexpected arguments: ${positionals.join(' ')}`);
      if (!LEVELS.has(values['log-level'])) problems.push(`--log-level: unknown level "${values['log-level']}"`);
      const user = io.env.ENVOY_USER || 'istio-proxy';
      const defaultUid = values['proxy-uid'] ? DEFAULT_PROXY_UID : ((await passwdUid(user)) ?? DEFAULT_PROXY_UID);
      const parsed = configFrom(values, defaultUid);
      if (parsed.errors.length > 0) problems.push(formatIssues(parsed.errors).split('\n').join('; '));
      if (problems.length > 0 || !parsed.value) {
        const e = AgentErrors.IPTABLES_INVALID_FLAGS([problems.join('; ')]);
        return usageError(e.message, e.code);
      }
      const config = parsed.value;
      const log = moduleLogger(
        createLogger({ component: 'pilot-agent', level: values['log-level'] as 'info', destination: { write: (s: string) => io.stderr(s) } }),
        'iptables',
      );
      for (const w of parsed.warnings) log.warn({ flag: w.path }, w.message);
      if (values['dry-run']) {
        const add = captureRules(config);
        // Without reading the table, a dry clean shows what removing this configuration's rules takes.
        io.stdout(values.clean ? natTransaction(removalCommands(tableOf(add), config.kubeVirtInterfaces)) : natTransaction([], add));
        log.info({ clean: values.clean }, 'dry run: rules printed, nothing applied');
        return 0;
      }
      if (values.clean) log.info({ kubeVirtInterfaces: config.kubeVirtInterfaces }, 'removing capture rules');
      else log.info({ config }, 'writing capture rules');
      return apply(runner(), config, values.clean, log);
    },
  };
}

export const iptablesCommand = makeIptablesCommand();
