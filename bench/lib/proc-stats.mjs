// CPU time and resident memory of a peer's process tree, read from /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** How often RSS is sampled while a phase runs. */
const SAMPLE_MS = 100;

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself contain spaces. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function command(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 80);
  } catch {
    return '?';
  }
}

/** Parent and CPU ticks of every process alive now. */
function allProcesses() {
  const out = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(entry);
      out.set(Number(entry), { parent: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process exited while we listed /proc.
    }
  }
  return out;
}

function descendants(pid, processes) {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, p] of processes) if (p.parent === tree[i]) tree.push(child);
  return tree;
}

/** `pid` and every descendant alive now (nginx workers, weft-proxy's cluster workers). */
export function processTree(pid) {
  return descendants(pid, allProcesses());
}

/**
 * Starts counting the CPU time of every process that is not the bench or one of its children (other
 * work on the machine); `end()` returns the CPU seconds they used since, and the busiest of them.
 */
export function watchForeign() {
  const foreign = () => {
    const all = allProcesses();
    // Kernel threads (kthreadd, pid 2, and its children) include the softirq work our own load causes.
    for (const pid of [...descendants(process.pid, all), ...descendants(2, all)]) all.delete(pid);
    return all;
  };
  const start = foreign();
  return {
    end() {
      let ticks = 0;
      let busiest = { pid: 0, ticks: 0 };
      for (const [pid, p] of foreign()) {
        const used = p.ticks - (start.get(pid)?.ticks ?? 0);
        ticks += used;
        if (used > busiest.ticks) busiest = { pid, ticks: used };
      }
      return { cpuSeconds: Math.max(0, ticks) / TICKS_PER_SECOND, busiest: busiest.pid ? `${command(busiest.pid)} (pid ${busiest.pid})` : undefined };
    },
  };
}

/** User + system CPU seconds used so far by the given processes (exited ones count 0). */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = statFields(pid);
      // utime and stime are fields 14 and 15 of stat; f[0] is field 3 (state).
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // Exited.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of the given processes now, in bytes (summed). */
export function rssBytes(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // Exited.
    }
  }
  return kb * 1024;
}

/**
 * Starts watching a process tree for one phase; `end()` returns the CPU seconds used since and the
 * highest summed RSS seen (sampled every 100 ms, plus once at each end).
 * @param {number} pid
 */
export function watchTree(pid) {
  return watchPids(processTree(pid));
}

/**
 * The same for a fixed set of processes (e.g. the sidecars of a topology).
 * @param {readonly number[]} pids
 */
export function watchPids(pids) {
  const cpuStart = cpuSeconds(pids);
  let peakRss = rssBytes(pids);
  const timer = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pids))), SAMPLE_MS);
  return {
    end() {
      clearInterval(timer);
      peakRss = Math.max(peakRss, rssBytes(pids));
      return { cpuSeconds: cpuSeconds(pids) - cpuStart, peakRssBytes: peakRss, processes: pids.length };
    },
  };
}

/** Busy and total jiffies of all CPUs from the first line of /proc/stat. */
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/** The share of the machine's CPU time that was busy over the next `ms` milliseconds (0–1). */
export async function machineBusy(ms) {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}
