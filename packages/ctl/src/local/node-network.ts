// The local platform's network: a node network namespace holding a bridge (the pod network's
// gateway, where the control plane listens) and one network namespace per pod, joined to the bridge
// by a veth pair. Every namespace is recorded in the platform state before it is created.
import { access, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun } from './host-commands.js';
import type { PlatformState } from './platform-state.js';

export const BRIDGE = 'weft0';

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export interface NodeNetworkOptions {
  readonly state: PlatformState;
  /** The node's namespace (already created by `up`, which runs the node process inside it). */
  readonly nodeNetns: string;
  readonly nodeIp: string;
  readonly prefixLength: number;
}

export class NodeNetwork {
  private vethCounter = 0;

  constructor(private readonly options: NodeNetworkOptions) {}

  get nodeIp(): string {
    return this.options.nodeIp;
  }

  /** The bridge with the node's address, loopback up, and forwarding on (service VIPs are routed here). */
  async setup(): Promise<void> {
    const n = this.options.nodeNetns;
    await mustRun(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    await mustRun(['ip', '-n', n, 'link', 'add', BRIDGE, 'type', 'bridge']);
    await mustRun(['ip', '-n', n, 'addr', 'add', `${this.options.nodeIp}/${this.options.prefixLength}`, 'dev', BRIDGE]);
    await mustRun(['ip', '-n', n, 'link', 'set', BRIDGE, 'up']);
    await mustRun(['ip', 'netns', 'exec', n, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  }

  /** A pod's namespace with `ip` on eth0, default route via the node. */
  async addPod(netns: string, ip: string): Promise<void> {
    const n = this.options.nodeNetns;
    const veth = `wv${process.pid.toString(36)}${(this.vethCounter++).toString(36)}`.slice(0, 15);
    this.options.state.recordNetns(netns);
    await mustRun(['ip', 'netns', 'add', netns]);
    await mustRun(['ip', '-n', n, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await mustRun(['ip', '-n', n, 'link', 'set', veth, 'master', BRIDGE]);
    // Hairpin: a pod reaching its own Service VIP may be DNATed back to itself through the bridge port.
    await mustRun(['ip', '-n', n, 'link', 'set', veth, 'type', 'bridge_slave', 'hairpin', 'on']);
    await mustRun(['ip', '-n', n, 'link', 'set', veth, 'up']);
    await mustRun(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    await mustRun(['ip', '-n', netns, 'addr', 'add', `${ip}/${this.options.prefixLength}`, 'dev', 'eth0']);
    await mustRun(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    await mustRun(['ip', '-n', netns, 'route', 'add', 'default', 'via', this.options.nodeIp]);
  }

  /** Deletes a pod's namespace (its veth pair and iptables rules go with it) and its /etc/netns directory. */
  async removePod(netns: string): Promise<void> {
    await mustRun(['ip', 'netns', 'del', netns]).catch(() => undefined);
    await rm(join('/etc/netns', netns), { recursive: true, force: true });
  }

  /**
   * Writes /etc/netns/<netns>/hosts in place: `ip netns exec` bind-mounts the file into each process,
   * so it must keep its inode for running processes to see a rewrite.
   */
  async writeHosts(netns: string, content: string): Promise<void> {
    const dir = join('/etc/netns', netns);
    if (!this.options.state.value.createdEtcNetns && !(await exists('/etc/netns'))) this.options.state.update((d) => (d.createdEtcNetns = true));
    this.options.state.recordHostsDir(dir);
    await mkdir(dir, { recursive: true });
    const fh = await open(join(dir, 'hosts'), 'a+');
    try {
      await fh.truncate(0);
      await fh.write(content, 0);
    } finally {
      await fh.close();
    }
  }

  /** Replaces the node's nat and filter tables (the service VIP rules; the node namespace holds nothing else). */
  async applyServiceRules(payload: string): Promise<void> {
    await mustRun(['ip', 'netns', 'exec', this.options.nodeNetns, 'iptables-restore'], payload);
  }
}
