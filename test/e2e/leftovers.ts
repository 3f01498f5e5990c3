/**
 * Validation sandboxes the extension started and did not remove: containers (and images built for
 * them) labelled as validation sandboxes, whose names carry the process id of a language server
 * that ran inside this run's code-server. Found after the editor is stopped, reported, and removed,
 * so that no run leaves one behind; sandboxes of other processes on the machine are left alone.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The label the validation sandbox puts on its containers and images. */
export const VALIDATION_LABEL = 'dev.smoke-repair.validation';
/** Container `smoke-repair-validate-<pid>-<time>`, image `smoke-repair-validation:<pid>-<time>`. */
const OWNER = /^(?:smoke-repair-validate-|smoke-repair-validation:)(\d+)-/;

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Collects, once a second until stopped, the ids of every process in the process group `pgid`
 * (code-server starts its extension hosts and their language servers in its own group).
 */
export function watchProcessGroup(pgid: number): { pids: Set<number>; stop: () => void } {
  const pids = new Set<number>();
  const sample = () => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) pids.add(Number(name));
      } catch {
        /* gone meanwhile */
      }
    }
  };
  sample();
  const timer = setInterval(sample, 1000);
  timer.unref();
  return { pids, stop: () => (sample(), clearInterval(timer)) };
}

interface Leftover {
  kind: 'container' | 'image';
  id: string;
  name: string;
  created: string;
}

/** Labelled containers and images whose names say a process of `owners` made them. */
export function findLeftovers(owners: Set<number>): Leftover[] {
  const out: Leftover[] = [];
  const mine = (name: string) => owners.has(Number(OWNER.exec(name)?.[1] ?? NaN));
  const containers = docker(['ps', '-aq', '--filter', `label=${VALIDATION_LABEL}`]).split('\n').filter(Boolean);
  if (containers.length) {
    for (const line of docker(['inspect', '--format', '{{.Id}} {{.Name}} {{.Created}}', ...containers]).split('\n')) {
      const [id, name, created] = line.split(' ');
      const bare = (name ?? '').replace(/^\//, '');
      if (id && mine(bare)) out.push({ kind: 'container', id, name: bare, created: created ?? '' });
    }
  }
  const images = docker(['images', '-q', '--no-trunc', '--filter', `label=${VALIDATION_LABEL}`]).split('\n').filter(Boolean);
  if (images.length) {
    for (const line of docker(['image', 'inspect', '--format', '{{.Id}} {{join .RepoTags ","}} {{.Created}}', ...new Set(images)]).split('\n')) {
      const [id, tags, created] = line.split(' ');
      const tag = (tags ?? '').split(',').find(mine);
      if (id && tag) out.push({ kind: 'image', id, name: tag, created: created ?? '' });
    }
  }
  return out;
}

/** Removes what `findLeftovers` found (containers first); returns what could not be removed. */
export function removeLeftovers(leftovers: Leftover[]): string[] {
  const failed: string[] = [];
  for (const l of [...leftovers].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'container' ? -1 : 1))) {
    try {
      docker(l.kind === 'container' ? ['rm', '-f', l.id] : ['rmi', '-f', l.id]);
    } catch (err) {
      failed.push(`${l.kind} ${l.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return failed;
}
