/** Proportional set size (PSS) of process trees, read from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  pgrp: number;
  cmd: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), ppid: Number(rest[1]), pgrp: Number(rest[2]), cmd });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface MemoryReport {
  codeServerMiB: number;
  chromiumMiB: number;
  detail: string[];
}

/** Memory of code-server's process group and of the Chromium processes under this process. */
export function measureMemory(codeServerPgid: number): MemoryReport {
  const all = processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const mine: Proc[] = [];
  const stack = [process.pid];
  while (stack.length) for (const c of children.get(stack.pop()!) ?? []) (mine.push(c), stack.push(c.pid));
  const cs = all.filter((p) => p.pgrp === codeServerPgid);
  const chrome = mine.filter((p) => p.pgrp !== codeServerPgid && /chrom/i.test(p.cmd));
  const detail = cs.map((p) => `code-server pid ${p.pid} ${(pssKiB(p.pid) / 1024).toFixed(0)} MiB: ${p.cmd.slice(0, 120)}`);
  const sum = (ps: Proc[]) => Math.round(ps.reduce((a, p) => a + pssKiB(p.pid), 0) / 1024);
  return { codeServerMiB: sum(cs), chromiumMiB: sum(chrome), detail };
}
