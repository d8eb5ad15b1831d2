// The nat table as iptables-save prints it, and the commands that take the capture rules out of it (pure).
import { CAPTURE_CHAINS, type NatRules } from './capture-rules.js';

/** Chains and `-A` rules of the nat table, in iptables-save's order. */
export interface NatTable {
  readonly chains: readonly string[];
  readonly rules: readonly string[];
}

/** Reads the `*nat` section of `iptables-save` output; other tables and comments are ignored. */
export function parseNatTable(saved: string): NatTable {
  const chains: string[] = [];
  const rules: string[] = [];
  let inNat = false;
  for (const raw of saved.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inNat = line.slice(1).trim() === 'nat';
    else if (!inNat || line === '' || line.startsWith('#')) continue;
    else if (line === 'COMMIT') inNat = false;
    else if (line.startsWith(':')) chains.push(line.slice(1).split(/\s+/)[0] as string);
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { chains, rules };
}

/** The table that applying `add` to an empty nat table gives (`-I` rules are listed as `-A`). */
export function tableOf(add: NatRules): NatTable {
  return { chains: add.chains, rules: add.rules.map((r) => r.replace(/^-I (\S+) 1 /, '-A $1 ')) };
}

/** Splits a rule into words, keeping double-quoted words (comments) whole. */
function words(rule: string): string[] {
  return rule.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
}

function jumpTarget(rule: string): string | undefined {
  const w = words(rule);
  const i = w.findIndex((x) => x === '-j' || x === '--jump' || x === '-g' || x === '--goto');
  return i >= 0 ? w[i + 1] : undefined;
}

/**
 * The `-D`, `-F` and `-X` commands that remove what this command adds and nothing else: every jump
 * into a capture chain from another chain, the KubeVirt RETURN rules for `kubeVirtInterfaces`, then
 * the capture chains themselves. Empty when the table holds none of it, so cleaning twice is harmless.
 */
export function removalCommands(table: NatTable, kubeVirtInterfaces: readonly string[] = []): string[] {
  const capture = new Set(CAPTURE_CHAINS);
  const virtReturns = new Set(kubeVirtInterfaces.map((dev) => `-A PREROUTING -i ${dev} -j RETURN`));
  const deletes: string[] = [];
  for (const rule of table.rules) {
    const chain = words(rule)[1] ?? '';
    if (capture.has(chain)) continue; // flushed with its chain below
    const target = jumpTarget(rule);
    if ((target !== undefined && capture.has(target)) || virtReturns.has(rule)) deletes.push(`-D ${rule.slice(3)}`);
  }
  const present = CAPTURE_CHAINS.filter((ch) => table.chains.includes(ch));
  return [...deletes, ...present.map((ch) => `-F ${ch}`), ...present.map((ch) => `-X ${ch}`)];
}
