import type Docker from 'dockerode';
import { newDockerClient } from '../runtime/dockerClient';
import { VALIDATION_LABEL, VALIDATION_OWNER_LABEL } from './dockerApp';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the validation containers and images a tool process left behind: those of `owner` (this
 * process, on its way out), and those whose owner is no longer running on this machine (a process
 * that was killed mid-validation). Never touches anything without the validation label. Returns
 * what it removed; a Docker engine that does not answer means there is nothing to do.
 */
export async function removeValidationLeftovers(opts: { owner?: number; docker?: Docker } = {}): Promise<string[]> {
  const owner = opts.owner ?? process.pid;
  const stale = (labels: Record<string, string> | undefined): boolean => {
    const pid = Number(labels?.[VALIDATION_OWNER_LABEL]);
    return Number.isInteger(pid) && pid > 0 && (pid === owner || !alive(pid));
  };
  const removed: string[] = [];
  try {
    const docker = opts.docker ?? (await newDockerClient());
    for (const c of await docker.listContainers({ all: true, filters: { label: [VALIDATION_LABEL] } })) {
      if (!stale(c.Labels)) continue;
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      removed.push(`container ${c.Names[0]?.replace(/^\//, '') ?? c.Id}`);
    }
    for (const img of await docker.listImages({ filters: { label: [VALIDATION_LABEL] } })) {
      if (!stale(img.Labels ?? undefined)) continue;
      await docker.getImage(img.Id).remove({ force: true }).catch(() => undefined);
      removed.push(`image ${img.RepoTags?.[0] ?? img.Id}`);
    }
  } catch {
    /* no engine: nothing was left there */
  }
  return removed;
}
