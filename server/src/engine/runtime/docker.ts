import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DockerRuntimeInput } from '../config/schema';
import { AppStartFailure, EnvironmentError, type LogLine } from '../model';
import { buildImage, resolveBuildSpec, type BuildSpec } from './dockerBuild';
import { demultiplexDockerLogs } from './dockerLogs';
import { newDockerClient } from './dockerClient';
import { foreignApp } from './served';
import type { Mount, Runtime } from './types';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';

/** Where dockerode will connect, for error messages. */
function dockerEndpoint(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Compose's default project name: the compose file's folder name, lower-cased, with only [a-z0-9_-]. */
export function defaultComposeProject(folder: string): string {
  return path
    .basename(path.resolve(folder))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '');
}

/** The container's bind mounts: host folders (or files) and where the app sees them. */
function bindMounts(info: Docker.ContainerInspectInfo): Mount[] {
  return (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Source && m.Destination).map((m) => ({ source: m.Source, destination: m.Destination }));
}

/** Why a container cannot serve: exited, dead, or restarting in a loop; undefined while it runs. */
function stoppedState(info: Docker.ContainerInspectInfo): string | undefined {
  const st = info.State;
  if (st.Restarting) return `is restarting in a loop (exit code ${st.ExitCode}, ${info.RestartCount ?? 0} restarts)`;
  if (!st.Running) return `is not running (${st.Status}${st.ExitCode ? `, exit code ${st.ExitCode}` : ''})`;
  return undefined;
}

/**
 * The app runs in a Docker container, found by name or by its compose labels.
 * Talks to whatever engine DOCKER_HOST names (a local socket by default, TCP or SSH for a remote one).
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private client: Promise<Docker> | undefined;
  private containerId: string | undefined;
  private containerName: string | undefined;
  private tty = false;

  constructor(
    private readonly config: DockerRuntimeInput,
    private readonly workspace: string,
    docker?: Docker,
  ) {
    if (docker) this.client = Promise.resolve(docker);
  }

  /** The engine client, made on first use. */
  private api(): Promise<Docker> {
    return (this.client ??= newDockerClient());
  }

  /** The app's container. */
  private async container(): Promise<Docker.Container> {
    return (await this.api()).getContainer(await this.id());
  }

  describe(): string {
    if (this.containerName) return `docker container ${this.containerName}`;
    if (this.config.container) return `docker container ${this.config.container}`;
    return `docker service ${this.project()}/${this.config.service}`;
  }

  private project(): string {
    if (this.config.project) return this.config.project;
    const composeDir = this.config.composeFile ? path.dirname(path.resolve(this.workspace, this.config.composeFile)) : this.workspace;
    return defaultComposeProject(composeDir);
  }

  private async ping(): Promise<void> {
    try {
      await (await this.api()).ping();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new EnvironmentError(
        `Docker is not reachable at ${dockerEndpoint()} (${code}).`,
        'Start the Docker engine (Docker Desktop, or `sudo systemctl start docker`), or point DOCKER_HOST at a running engine, then run again.',
      );
    }
  }

  /** Find the container; throws EnvironmentError saying what was looked for and how to start it. */
  private async find(): Promise<Docker.ContainerInspectInfo> {
    await this.ping();
    const docker = await this.api();
    if (this.config.container) {
      try {
        const info = await docker.getContainer(this.config.container).inspect();
        return this.remember(info);
      } catch {
        throw new EnvironmentError(
          `No Docker container named "${this.config.container}" exists.`,
          'Start the app (e.g. `docker compose up -d`) or fix `app.docker.container` in smoke-repair.yaml.',
        );
      }
    }
    const project = this.project();
    const labels = [`${COMPOSE_SERVICE}=${this.config.service}`, `${COMPOSE_PROJECT}=${project}`];
    const found = await docker.listContainers({ all: true, filters: { label: labels } });
    const running = found.filter((c) => c.State === 'running');
    const pick = running[0] ?? found[0];
    if (!pick) {
      throw new EnvironmentError(
        `No container of compose service "${this.config.service}" in project "${project}" was found.`,
        `Start it with \`docker compose up -d ${this.config.service}\` in the folder of the compose file, or set \`app.docker.project\` to the project name \`docker compose ls\` shows.`,
      );
    }
    return this.remember(await docker.getContainer(pick.Id).inspect());
  }

  private remember(info: Docker.ContainerInspectInfo): Docker.ContainerInspectInfo {
    this.containerId = info.Id;
    this.containerName = info.Name.replace(/^\//, '');
    this.tty = Boolean(info.Config?.Tty);
    return info;
  }

  async ensureRunning(): Promise<void> {
    const info = await this.find();
    const down = stoppedState(info);
    if (down) throw await this.startFailure(info, down);
  }

  /** The start-up failure of a container that is not running (or restarts in a loop), with its last run's output. */
  private async startFailure(info: Docker.ContainerInspectInfo, how: string): Promise<AppStartFailure> {
    const startedAt = Date.parse(info.State.StartedAt) || Date.now();
    const finished = Date.parse(info.State.FinishedAt);
    const endedAt = Number.isFinite(finished) && finished >= startedAt ? finished : Date.now();
    const lines = await this.logs(startedAt - 1000, endedAt + 1000).catch(() => []);
    return new AppStartFailure(
      `The container ${this.containerName} ${how}.`,
      `Its output is in the "app starts" failure (also \`docker logs ${this.containerName}\`); fix what it reports, then start it again (\`docker compose up -d\`).`,
      lines,
      how,
      { startedAt, endedAt },
    );
  }

  watchExit(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      let first: { restarts: number; startedAt: string } | undefined;
      const poll = async () => {
        while (!signal.aborted) {
          const info = await (await this.container()).inspect().catch(() => undefined);
          if (signal.aborted) return;
          if (info) {
            first ??= { restarts: info.RestartCount ?? 0, startedAt: info.State.StartedAt };
            const restarted = (info.RestartCount ?? 0) > first.restarts || info.State.StartedAt !== first.startedAt;
            const down = stoppedState(info) ?? (restarted ? `restarted while starting (${info.RestartCount ?? 0} restarts)` : undefined);
            if (down) {
              reject(await this.startFailure(info, down));
              return;
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      void poll();
    });
  }

  async startupLog(): Promise<LogLine[]> {
    const info = await (await this.container()).inspect();
    const startedAt = Date.parse(info.State.StartedAt) || Date.now();
    return this.logs(startedAt - 1000, Date.now() + 1000);
  }

  private async id(): Promise<string> {
    if (!this.containerId) await this.find();
    return this.containerId!;
  }

  async logs(since: number, until: number): Promise<LogLine[]> {
    const container = await this.container();
    // The API takes whole seconds; ask for a little more and cut precisely here.
    const raw = (await container.logs({
      follow: false,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: Math.floor(since / 1000) - 1,
      until: Math.ceil(until / 1000) + 1,
    })) as unknown as Buffer;
    return demultiplexDockerLogs(raw, this.tty).filter((l) => l.time >= since && l.time <= until);
  }

  async mounts(): Promise<Mount[]> {
    return bindMounts(await (await this.container()).inspect());
  }

  async foreignCode(): Promise<string | undefined> {
    const info = await (await this.container()).inspect();
    return foreignApp(this.workspace, bindMounts(info), info.Config.Labels?.['com.docker.compose.project.working_dir']);
  }

  async restart(): Promise<void> {
    await (await this.container()).restart();
  }

  /** The build this container's image comes from; throws when there is no Dockerfile. */
  async buildSpec(): Promise<BuildSpec> {
    const info = await this.find();
    const labels = info.Config.Labels ?? {};
    const composeFile = this.config.composeFile
      ? path.resolve(this.workspace, this.config.composeFile)
      : labels['com.docker.compose.project.config_files']?.split(',')[0];
    return resolveBuildSpec({
      workspace: this.workspace,
      composeFile: composeFile && existsSync(composeFile) ? composeFile : undefined,
      service: this.config.service ?? labels[COMPOSE_SERVICE],
      image: info.Config.Image,
      buildArgs: this.config.buildArgs ?? {},
    });
  }

  /**
   * Rebuild the image from its Dockerfile and recreate the container from it with the same name,
   * labels, mounts and network. Off unless `app.docker.rebuild` is true; never without a Dockerfile.
   * The old container is kept aside until the new one starts, and put back if it does not.
   */
  async rebuild(onLine: (line: string) => void = () => {}): Promise<void> {
    if (!this.config.rebuild) {
      throw new EnvironmentError('Rebuilding the image is off.', 'Set `app.docker.rebuild: true` in smoke-repair.yaml to allow it.');
    }
    const spec = await this.buildSpec();
    await this.build(spec, onLine);
    await this.recreate(spec.image);
  }

  private async build(spec: BuildSpec, onLine: (line: string) => void): Promise<void> {
    await buildImage(await this.api(), spec, { onLine });
  }

  /** The container as the engine describes it (found by name or compose labels). */
  async inspect(): Promise<Docker.ContainerInspectInfo> {
    return this.find();
  }

  private async recreate(image: string): Promise<void> {
    const docker = await this.api();
    const old = await this.find();
    const name = old.Name.replace(/^\//, '');
    const imageEnv = new Set((await docker.getImage(old.Image).inspect().catch(() => undefined))?.Config?.Env ?? []);
    const aside = docker.getContainer(old.Id);
    await aside.stop({ t: 10 }).catch(() => undefined);
    await aside.rename({ name: `${name}-replaced-${Date.now()}` });
    try {
      const created = await docker.createContainer({
        name,
        Image: image,
        Cmd: old.Config.Cmd ?? undefined,
        Entrypoint: old.Config.Entrypoint ?? undefined,
        WorkingDir: old.Config.WorkingDir || undefined,
        User: old.Config.User || undefined,
        // Only what the container added: the new image brings its own ENV.
        Env: (old.Config.Env ?? []).filter((e) => !imageEnv.has(e)),
        Labels: old.Config.Labels,
        ExposedPorts: old.Config.ExposedPorts,
        Tty: old.Config.Tty,
        HostConfig: old.HostConfig,
      });
      await created.start();
      await aside.remove({ force: true });
      this.containerId = undefined;
      await this.find();
    } catch (err) {
      await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
      await aside.rename({ name });
      await aside.start().catch(() => undefined);
      throw new EnvironmentError(`Recreating ${name} from the new image failed: ${(err as Error).message}`, 'The previous container was put back; look at `docker logs` and the image, then run again.');
    }
  }

  async dispose(): Promise<void> {}
}
