// Runs the real pilot-discovery binary for tests and reads the addresses it logs when listening.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/pilot-discovery.js', import.meta.url));

export interface PilotProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly grpc: string;
  readonly http: string;
  readonly monitoring: string;
  /** Every log line so far, parsed. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startPilot(args: readonly string[], env: Record<string, string> = {}): Promise<PilotProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'discovery', '--grpcAddr=127.0.0.1:0', '--httpAddr=127.0.0.1:0', '--monitoringAddr=127.0.0.1:0', ...args],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const logs: Record<string, unknown>[] = [];
  const addresses: Record<string, string> = {};
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pilot-discovery did not start:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`pilot-discovery exited with ${code}:\n${buffered}${logs.map((l) => JSON.stringify(l)).join('\n')}`)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          const msg = String(entry['msg'] ?? '');
          if (msg.startsWith('ADS')) addresses['grpc'] = String(entry['address']);
          if (msg.startsWith('debug HTTP')) addresses['http'] = String(entry['address']);
          if (msg.startsWith('monitoring HTTP')) addresses['monitoring'] = String(entry['address']);
          if (addresses['grpc'] && addresses['http'] && addresses['monitoring']) {
            clearTimeout(timer);
            resolve();
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
  });
  await ready;
  return {
    child,
    grpc: addresses['grpc']!,
    http: addresses['http']!.replace('http://', ''),
    monitoring: addresses['monitoring']!.replace('http://', ''),
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
