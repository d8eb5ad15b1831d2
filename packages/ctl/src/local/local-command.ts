// `weftctl local up|down|status|apply|exec|logs`: the mesh on one Linux machine, with pods as network
// namespaces. See docs/components/local-platform.md.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createLogger, flag, type Command, type CommandIO, type Logger } from '@weft/base';
import { readInputs } from '../validate/inputs.js';
import { cleanupRun } from './cleanup.js';
import { controlRequest, type ApplyResponse, type StatusReport } from './control-api.js';
import { parseCidr } from './ipam.js';
import { runNode } from './node-main.js';
import { DEFAULT_STATE_DIR, readState, statePaths } from './platform-state.js';
import { stateDirProblem } from './pod-dirs.js';
import { formatStatus } from './status-format.js';
import { NODE_ENV, NODE_NETNS, up, validateInputs, type NodeHandoff, type UpSettings } from './up.js';
import { IMAGE_MAP_FILE } from './image-map.js';

const stateDirFlag = { 'state-dir': flag('string', 'where a running platform keeps its state and control socket', { default: DEFAULT_STATE_DIR }) };

const upFlags = {
  filename: flag('strings', 'Kubernetes manifests and Istio config: a file or directory; repeatable', { short: 'f' }),
  namespace: flag('string', 'namespace of objects that name none', { short: 'n', default: 'default' }),
  images: flag('string', `the image map (default: ${IMAGE_MAP_FILE} in an input directory or its parent)`),
  'ingress-port': flag('int', 'host port for the ingress gateway\'s HTTP port 80 (0: not published)', { default: 8080 }),
  'ingress-https-port': flag('int', 'host port for the gateway\'s port 443 (0: not published)', { default: 8443 }),
  'ingress-tcp-port': flag('int', 'host port for the gateway\'s TCP port 31400 (0: not published)', { default: 31400 }),
  'ingress-host': flag('string', 'host address the gateway ports are published on', { default: '127.0.0.1' }),
  'pod-cidr': flag('string', 'pod network (the node takes its first address)', { default: '10.244.0.0/16' }),
  'service-cidr': flag('string', 'service VIPs', { default: '10.96.0.0/16' }),
  domain: flag('string', 'cluster DNS domain', { default: 'cluster.local' }),
  timeout: flag('duration', 'how long pods may take to become ready', { default: 300_000 }),
  'log-level': flag('string', 'log level of the platform\'s structured log (stderr)', { default: 'warn' }),
  ...stateDirFlag,
};

function portFlag(v: number, name: string, io: CommandIO): boolean {
  if (Number.isInteger(v) && v >= 0 && v <= 65535) return true;
  io.stderr(`weftctl local up: --${name} must be a port number (0-65535), got ${v}\n`);
  return false;
}

export const upCommand: Command<typeof upFlags> = {
  name: 'up',
  summary: 'Run the manifests and Istio config as a mesh on this machine (pods as network namespaces); Ctrl-C stops it',
  usage: '-f DIR [-f DIR ...] [flags]',
  flags: upFlags,
  run: async ({ values }, io) => {
    const podCidr = parseCidr(values['pod-cidr']);
    const serviceCidr = parseCidr(values['service-cidr']);
    if (!podCidr || !serviceCidr) {
      io.stderr(`weftctl local up: ${!podCidr ? `--pod-cidr ${values['pod-cidr']}` : `--service-cidr ${values['service-cidr']}`} is not an IPv4 CIDR between /8 and /28\n`);
      return 2;
    }
    if (!values.filename || values.filename.length === 0) {
      io.stderr('weftctl local up: give the manifests with -f FILE or -f DIR\n');
      return 2;
    }
    for (const [n, v] of [['ingress-port', values['ingress-port']], ['ingress-https-port', values['ingress-https-port']], ['ingress-tcp-port', values['ingress-tcp-port']]] as const) if (!portFlag(v, n, io)) return 2;
    const deep = stateDirProblem(values['state-dir']);
    if (deep) {
      io.stderr(`weftctl local up: ${deep}\n`);
      return 2;
    }
    const settings: UpSettings = {
      files: values.filename,
      namespace: values.namespace,
      ...(values.images ? { images: values.images } : {}),
      stateDir: values['state-dir'],
      podCidr,
      serviceCidr,
      domain: values.domain,
      host: values['ingress-host'],
      ports: { 80: values['ingress-port'], 443: values['ingress-https-port'], 31400: values['ingress-tcp-port'] },
      timeoutMs: values.timeout,
    };
    const logger = createLogger({ component: 'weftctl', level: values['log-level'] as 'info' });
    const handoff = io.env[NODE_ENV];
    if (handoff) return runNodeProcess(JSON.parse(handoff) as NodeHandoff, io, logger);
    return up(settings, io, logger, process.argv[1] ?? '');
  },
};

/** The node process (inside the node namespace): inputs are validated again, from the same files. */
async function runNodeProcess(h: NodeHandoff, io: CommandIO, logger: Logger): Promise<number> {
  const inputs = await validateInputs(h.settings, io);
  if (!inputs) return 1;
  const podCidr = parseCidr(h.settings.podCidr.text)!;
  return runNode({
    stateDir: h.settings.stateDir,
    nodeNetns: NODE_NETNS,
    podCidr,
    serviceCidr: parseCidr(h.settings.serviceCidr.text)!,
    domain: h.settings.domain,
    binaries: h.binaries,
    imageMaps: inputs.maps,
    readCaps: h.readCaps,
    published: h.published,
    initial: inputs.set,
    timeoutMs: h.settings.timeoutMs,
    logger,
    say: (line) => io.stdout(`weft local: ${line}\n`),
  });
}

const downFlags = { ...stateDirFlag };

export const downCommand: Command<typeof downFlags> = {
  name: 'down',
  summary: 'Stop the running platform and remove every namespace, rule, hosts file and process it created',
  flags: downFlags,
  run: async ({ values }, io) => {
    const stateDir = values['state-dir'];
    const state = readState(stateDir);
    if (!state) {
      io.stdout('weft local: not running; nothing to remove\n');
      return 0;
    }
    const logger = createLogger({ component: 'weftctl', level: 'warn' });
    try {
      await controlRequest(statePaths(stateDir).socket, 'POST', '/shutdown', {}, 10_000);
      // The node process drains the pods, then `up` cleans up and exits: wait for both.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && readState(stateDir) && [state.outerPid, state.innerPid].some(alive)) await new Promise((r) => setTimeout(r, 100));
    } catch {
      // Not reachable: the run crashed; remove what it left.
    }
    const report = await cleanupRun(stateDir, logger, 2000);
    for (const l of report.leftovers) io.stderr(`weftctl local: could not remove ${l}\n`);
    io.stdout('weft local: stopped\n');
    return report.leftovers.length > 0 ? 1 : 0;
  },
};

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function running(stateDir: string, io: CommandIO, command: string): Promise<StatusReport | undefined> {
  try {
    return await controlRequest<StatusReport>(statePaths(stateDir).socket, 'GET', '/status', undefined, 10_000);
  } catch {
    io.stderr(`weftctl local ${command}: no platform is running (start one with \`weftctl local up -f DIR\`)\n`);
    return undefined;
  }
}

const statusFlags = { output: flag('string', 'text or json', { short: 'o', default: 'text' }), ...stateDirFlag };

export const statusCommand: Command<typeof statusFlags> = {
  name: 'status',
  summary: 'List pods (namespace, name, IP, ready) and services (VIP, ports) of the running platform',
  flags: statusFlags,
  run: async ({ values }, io) => {
    const report = await running(values['state-dir'], io, 'status');
    if (!report) return 1;
    io.stdout(values.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return 0;
  },
};

const applyFlags = {
  filename: flag('strings', 'Istio config or Kubernetes manifests: a file or directory; repeatable', { short: 'f' }),
  namespace: flag('string', 'namespace of objects that name none', { short: 'n', default: 'default' }),
  wait: flag('bool', 'wait until rollouts are done and every proxy has the config', { default: true }),
  timeout: flag('duration', 'how long to wait', { default: 120_000 }),
  ...stateDirFlag,
};

export const applyCommand: Command<typeof applyFlags> = {
  name: 'apply',
  summary: 'Add or replace Istio config and manifests in the running platform, validated first',
  usage: '-f FILE|DIR [flags]',
  flags: applyFlags,
  run: async ({ values }, io) => {
    if (!values.filename || values.filename.length === 0) {
      io.stderr('weftctl local apply: give the config with -f FILE or -f DIR\n');
      return 2;
    }
    const valid = await validateInputs({ files: values.filename, namespace: values.namespace, runningMaps: true }, io);
    if (!valid) return 1;
    if (!(await running(values['state-dir'], io, 'apply'))) return 1;
    const { inputs } = await readInputs(values.filename, io);
    const files = inputs.filter((i) => basename(i.source) !== IMAGE_MAP_FILE);
    const r = await controlRequest<ApplyResponse>(statePaths(values['state-dir']).socket, 'POST', '/apply', { files, namespace: values.namespace, wait: values.wait, timeoutMs: values.timeout });
    for (const l of r.lines) io.stdout(`${l}\n`);
    for (const e of r.errors) io.stderr(`error: ${e}\n`);
    return r.ok ? 0 : 1;
  },
};

const podFlags = { namespace: flag('string', 'the pod\'s namespace (default: any, if the name is unique)', { short: 'n' }), ...stateDirFlag };

function findPod(report: StatusReport, name: string | undefined, namespace: string | undefined, io: CommandIO, command: string) {
  const matches = report.pods.filter((p) => (!namespace || p.namespace === namespace) && (p.name === name || (name?.startsWith('deployment/') && p.deployment === name.slice('deployment/'.length) && p.status === 'Running')));
  if (!name || matches.length === 0) {
    io.stderr(`weftctl local ${command}: no pod ${name ?? '(none given)'}${namespace ? ` in ${namespace}` : ''}; see \`weftctl local status\`\n`);
    return undefined;
  }
  return matches[0];
}

const execFlags = { ...podFlags };

export const execCommand: Command<typeof execFlags> = {
  name: 'exec',
  summary: 'Run a command inside a pod\'s network namespace (as kubectl exec): weftctl local exec POD -- CMD...',
  usage: 'POD|deployment/NAME [-n NS] -- CMD [ARGS...]',
  flags: execFlags,
  run: async ({ values, positionals }, io) => {
    const [name, ...cmd] = positionals;
    if (cmd.length === 0) {
      io.stderr('weftctl local exec: usage: weftctl local exec POD -- CMD [ARGS...]\n');
      return 2;
    }
    const report = await running(values['state-dir'], io, 'exec');
    if (!report) return 1;
    const pod = findPod(report, name, values.namespace, io, 'exec');
    if (!pod) return 1;
    const child = spawn('ip', ['netns', 'exec', pod.netns, ...cmd], { stdio: 'inherit', env: io.env as NodeJS.ProcessEnv });
    return new Promise((resolve) => {
      child.on('error', (e) => {
        io.stderr(`weftctl local exec: ${e.message}\n`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  },
};

const logsFlags = { container: flag('string', 'container (default: the first; istio-proxy is the sidecar)', { short: 'c' }), ...podFlags };

export const logsCommand: Command<typeof logsFlags> = {
  name: 'logs',
  summary: 'Print a pod container\'s log (as kubectl logs)',
  usage: 'POD [-c CONTAINER] [-n NS]',
  flags: logsFlags,
  run: async ({ values, positionals }, io) => {
    const report = await running(values['state-dir'], io, 'logs');
    if (!report) return 1;
    const pod = findPod(report, positionals[0], values.namespace, io, 'logs');
    if (!pod) return 1;
    const dir = join(statePaths(values['state-dir']).logs, `${pod.namespace}_${pod.name}`);
    const container = values.container ?? pod.containers[0] ?? 'istio-proxy';
    if (![...pod.containers, ...(pod.sidecar || pod.containers.length === 0 ? ['istio-proxy'] : [])].includes(container)) {
      io.stderr(`weftctl local logs: pod ${pod.name} has no container ${container} (it has ${[...pod.containers, 'istio-proxy'].join(', ')})\n`);
      return 1;
    }
    try {
      io.stdout(await readFile(join(dir, `${container}.log`), 'utf8'));
      return 0;
    } catch (e) {
      io.stderr(`weftctl local logs: ${(e as Error).message}\n`);
      return 1;
    }
  },
};

export const localCommand: Command = {
  name: 'local',
  summary: 'The mesh on one Linux machine: pods as network namespaces with iptables capture',
  subcommands: [upCommand as Command, downCommand as Command, statusCommand as Command, applyCommand as Command, execCommand as Command, logsCommand as Command],
};
