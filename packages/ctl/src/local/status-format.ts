// `weftctl local status` as text: kubectl-style tables of pods and services, then the published ports.
import type { StatusReport } from './control-api.js';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStatus(r: StatusReport): string {
  const pods = table(
    ['NAMESPACE', 'NAME', 'IP', 'READY', 'STATUS', 'RESTARTS'],
    r.pods.map((p) => [p.namespace, p.name, p.ip, p.ready, p.status, String(p.restarts)]),
  );
  const services = table(
    ['NAMESPACE', 'NAME', 'VIP', 'PORTS'],
    r.services.map((s) => [s.namespace, s.name, s.vip, s.ports.map((p) => `${p.port}/TCP${p.name ? `(${p.name})` : ''}`).join(',')]),
  );
  const published = r.published.length > 0 ? r.published.map((p) => `published: ${p}`).join('\n') : 'published: none';
  return `PODS\n${pods}\n\nSERVICES\n${services}\n\n${published}\npilot: xDS ${r.pilot.grpc}, debug http://${r.pilot.http}/debug/\n${r.ready ? 'ready' : 'starting'}\n`;
}
