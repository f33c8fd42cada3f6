/**
 * CPU time of this process (every thread) and of its child processes (the Python hosts), for
 * "CPU per message" figures: on a shared, loaded machine a rate says how much of the cores the
 * bench got, CPU time per message says how much work each message costs.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export interface CpuSnapshot {
  /** This Node process, all threads (ms). */
  node: number;
  /** Live child processes of this process, user + system (ms). */
  children: number;
}

function childrenCpuMs(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return NaN;
  }
  for (const e of entries) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[1]) !== process.pid) continue;
    total += (Number(f[11]) + Number(f[12])) * TICK_MS;
  }
  return total;
}

export function cpuNow(): CpuSnapshot {
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1000, children: childrenCpuMs() };
}

/** Microseconds of CPU per message between two snapshots (children that exited meanwhile are lost). */
export function cpuPerMsgUs(a: CpuSnapshot, b: CpuSnapshot, msgs: number): { node: number; python: number } {
  return { node: ((b.node - a.node) * 1000) / msgs, python: ((b.children - a.children) * 1000) / msgs };
}
