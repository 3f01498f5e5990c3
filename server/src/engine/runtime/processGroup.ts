import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A child started in its own process group (`detached`), stopped with everything it started: a
 * shell's server, npm's node, a log command's pipeline.
 */

/**
 * Whether a process group still has a live member. Exited members that nobody has reaped yet
 * (zombies, whose parent shell is gone) do not count: they hold no port and run no code.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * SIGTERM to the whole group, SIGKILL after `graceMs`, and wait until no member is alive (giving up
 * `giveUpMs` after the kill, for a member that escaped the group). On Windows, the child alone.
 */
export async function stopProcessGroup(child: ChildProcess, opts: { graceMs: number; giveUpMs: number; exited: boolean }): Promise<void> {
  if (child.pid === undefined) return;
  if (process.platform === 'win32') {
    if (opts.exited) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([done, new Promise<void>((resolve) => setTimeout(resolve, opts.graceMs + opts.giveUpMs).unref())]);
    return;
  }
  const pgid = child.pid;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* already gone */
    }
  };
  if (!groupAlive(pgid)) return;
  kill('SIGTERM');
  const deadline = Date.now() + opts.graceMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      kill('SIGKILL');
      if (Date.now() > deadline + opts.giveUpMs) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
