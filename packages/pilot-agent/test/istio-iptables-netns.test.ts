// `pilot-agent istio-iptables` for real: the built binary writes the capture rules inside a network
// namespace this test creates (wired by a veth pair to a peer namespace), connections are really
// redirected (or not), and --clean leaves the nat table as it found it. Needs root, iproute2, iptables.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNatTable } from '../src/iptables/nat-table.js';

const BIN = fileURLToPath(new URL('../bin/pilot-agent.js', import.meta.url));
const LISTENERS = fileURLToPath(new URL('./fixtures/tag-listeners.mjs', import.meta.url));
const id = randomBytes(4).toString('hex');
const NS = `weft-ipt-test-${id}`;
const PEER = `weft-ipt-test-${id}-peer`;
const POD_IP = '10.77.0.1';
const PEER_IP = '10.77.0.2';
// The local platform's invocation (packages/ctl/src/local/pod-plan.ts).
const LOCAL = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15020,15021'];

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const tools = process.platform === 'linux' && has('ip', ['-V']) && has('iptables-save', ['--version']) && has('iptables-restore', ['--version']) && has('setpriv', ['--version']);
const canRun = isRoot && tools;
const skipReason = !isRoot ? 'not running as root' : 'ip, iptables-save/iptables-restore or setpriv is missing';

// Connects, reads until the server closes, prints what it got (or error:CODE); bounded by a timer.
const DIAL = `const s=require('net').connect(+process.argv[2],process.argv[1]);let d='';s.setEncoding('utf8');
s.on('data',(c)=>d+=c);s.on('end',()=>{console.log(d.trim());process.exit(0)});
s.on('error',(e)=>{console.log('error:'+e.code);process.exit(0)});setTimeout(()=>{console.log('error:TIMEOUT');process.exit(0)},3000);`;

const listeners: ChildProcess[] = [];

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function inNs(ns: string, cmd: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: 20_000, cwd: '/' });
}

function agent(args: string[]) {
  return inNs(NS, [process.execPath, BIN, 'istio-iptables', ...args]);
}

/** The tag of the listener a connection from `ns` (optionally as uid 1337) to host:port reached. */
function dial(ns: string, host: string, port: number, asProxyUid = false): string {
  const who = asProxyUid ? ['setpriv', '--reuid', '1337', '--regid', '1337', '--clear-groups'] : [];
  const r = inNs(ns, [...who, process.execPath, '-e', DIAL, host, String(port)]);
  if (r.status !== 0) throw new Error(`dialer failed: ${r.stderr}`);
  return r.stdout.trim();
}

function natTable() {
  return parseNatTable(sh('ip', ['netns', 'exec', NS, 'iptables-save', '-t', 'nat']));
}

/** Rules of one chain, in order, with iptables-save's spelling. */
function chainRules(rules: readonly string[], chain: string): string[] {
  return rules.filter((r) => r.split(' ')[1] === chain);
}

function startListeners(ns: string, specs: string[]): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, LISTENERS, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
  listeners.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`listeners in ${ns} not ready: ${err}`)), 10_000);
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`listeners in ${ns} exited (${code}): ${err}`));
    });
  });
}

beforeAll(async () => {
  if (!canRun) return;
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['netns', 'add', PEER]);
  sh('ip', ['-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', PEER]);
  for (const [ns, ip] of [[NS, POD_IP], [PEER, PEER_IP]] as const) {
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }
  await startListeners(NS, ['127.0.0.1:15001:outbound-capture', '0.0.0.0:15006:inbound-capture', '0.0.0.0:15020:status', `${POD_IP}:8080:app`]);
  await startListeners(PEER, [`${PEER_IP}:8080:peer`]);
}, 30_000);

afterAll(() => {
  for (const l of listeners) l.kill('SIGKILL');
  if (!canRun) return;
  spawnSync('ip', ['netns', 'del', NS]);
  spawnSync('ip', ['netns', 'del', PEER]);
});

describe.skipIf(!canRun)(`istio-iptables in a network namespace${canRun ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('without rules, connections go where they were dialled', () => {
    expect(dial(NS, PEER_IP, 8080)).toBe('peer');
    expect(dial(PEER, POD_IP, 8080)).toBe('app');
  });

  it('writes the chains and rules that --dry-run prints', () => {
    const dry = agent([...LOCAL, '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    const r = agent(LOCAL);
    expect(r.status, r.stderr).toBe(0);
    const expected = dry.stdout.split('\n').filter((l) => l.startsWith('-A '));
    const table = natTable();
    for (const chain of ['ISTIO_INBOUND', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT', 'ISTIO_REDIRECT']) {
      expect(table.chains).toContain(chain);
      expect(chainRules(table.rules, chain), chain).toEqual(chainRules(expected, chain));
    }
    expect(chainRules(table.rules, 'PREROUTING')).toEqual(['-A PREROUTING -p tcp -j ISTIO_INBOUND']);
    expect(chainRules(table.rules, 'OUTPUT')).toEqual(['-A OUTPUT -p tcp -j ISTIO_OUTPUT']);
    expect(chainRules(table.rules, 'ISTIO_OUTPUT')).toContain('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
  });

  it('redirects an app\'s outbound connection to 15001 but not the proxy uid\'s', () => {
    expect(dial(NS, PEER_IP, 8080)).toBe('outbound-capture');
    expect(dial(NS, PEER_IP, 8080, true)).toBe('peer');
    expect(dial(NS, '127.0.0.1', 15020)).toBe('status');
  });

  it('redirects inbound connections to 15006 except on the excluded ports', () => {
    expect(dial(PEER, POD_IP, 8080)).toBe('inbound-capture');
    expect(dial(PEER, POD_IP, 15020)).toBe('status');
  });

  it('running again replaces the rules instead of adding a second copy', () => {
    const before = natTable();
    const r = agent(LOCAL);
    expect(r.status, r.stderr).toBe(0);
    expect(natTable()).toEqual(before);
    expect(dial(NS, PEER_IP, 8080)).toBe('outbound-capture');
  });

  it('--clean removes every ISTIO_ chain and jump, and cleaning twice is harmless', () => {
    const r = agent(['--clean']);
    expect(r.status, r.stderr).toBe(0);
    const saved = sh('ip', ['netns', 'exec', NS, 'iptables-save', '-t', 'nat']);
    expect(saved).not.toContain('ISTIO_');
    expect(parseNatTable(saved).rules).toEqual([]);
    expect(dial(NS, PEER_IP, 8080)).toBe('peer');
    expect(dial(PEER, POD_IP, 8080)).toBe('app');
    const again = agent(['--clean']);
    expect(again.status, again.stderr).toBe(0);
    expect(sh('ip', ['netns', 'exec', NS, 'iptables-save', '-t', 'nat'])).not.toContain('ISTIO_');
  });
});
