import type Docker from 'dockerode';

let loading: Promise<typeof Docker> | undefined;

/**
 * A client for the engine DOCKER_HOST names. dockerode and its SSH stack are loaded on first use
 * (about 20 MB of a process's memory), so a language server whose app runs as a local process
 * never carries them.
 */
export async function newDockerClient(): Promise<Docker> {
  loading ??= import('dockerode').then((m) => (m as unknown as { default: typeof Docker }).default ?? (m as unknown as typeof Docker));
  const DockerClient = await loading;
  return new DockerClient();
}
