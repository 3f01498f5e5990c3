import createDockerIgnore from '@balena/dockerignore';
import type Docker from 'dockerode';
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { DockerRuntimeInput } from '../config/schema';
import { DockerRuntime } from '../runtime';
import { newDockerClient } from '../runtime/dockerClient';
import { buildImage, type BuildSpec } from '../runtime/dockerBuild';
import { demultiplexDockerLogs } from '../runtime/dockerLogs';
import { describeProbe, isHealthy } from '../smoke/health';
import { AppStartError, replacePort, type SandboxApp, type SandboxAppTarget } from './app';
import type { Sandbox } from './sandbox';

/**
 * The app in a second container: the original container's image (or an image built from the
 * sandbox when the patch changes a file the image copies), its bind mounts read-only, one extra
 * file bind per changed file that lives under a mount, host network, the sandbox port, labels
 * that mark it as a validation sandbox. Removed (with any image built for it) by `dispose`.
 */

export const VALIDATION_LABEL = 'dev.smoke-repair.validation';
export const VALIDATION_OF_LABEL = 'dev.smoke-repair.validation.of';
let madeContainers = false;
/** Whether this process has made a validation container or image (so it may leave one behind). */
export function madeValidationContainers(): boolean {
  return madeContainers;
}

/** The process id of the tool that made a validation container or image, so leftovers can be found. */
export const VALIDATION_OWNER_LABEL = 'dev.smoke-repair.validation.owner';

export interface DockerAppInput extends SandboxAppTarget {
  config: DockerRuntimeInput;
  workspace: string;
  sandbox: Sandbox;
  buildTimeoutMs: number;
  onLine?: (line: string) => void;
  docker?: Docker;
}

export function createDockerApp(input: DockerAppInput): SandboxApp {
  let docker: Docker | undefined = input.docker;
  const name = `smoke-repair-validate-${process.pid}-${Date.now().toString(36)}`;
  let container: Docker.Container | undefined;
  let builtImage: string | undefined;
  let tty = false;
  const notes: string[] = [];

  async function start(): Promise<void> {
    docker ??= await newDockerClient();
    const runtime = new DockerRuntime(input.config, input.workspace, docker);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await runtime.inspect();
    } catch (err) {
      throw new AppStartError(`the app's container cannot be found: ${(err as Error).message}`, 'environment');
    }
    tty = Boolean(info.Config.Tty);
    const mounts = (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Source && m.Destination);
    const { mounted, unmounted } = placeChangedFiles(input.workspace, input.sandbox.changed, mounts);

    let image = info.Image;
    let env = info.Config.Env ?? [];
    if (unmounted.length) {
      let spec: BuildSpec;
      try {
        spec = await runtime.buildSpec();
      } catch (err) {
        throw new AppStartError(`the patch changes ${unmounted.join(', ')}, which the container does not mount, and the image cannot be rebuilt: ${(err as Error).message}`, 'environment');
      }
      const copied = await filesTheImageCopies(spec, input.workspace, unmounted);
      if (copied.length) {
        builtImage = `smoke-repair-validation:${name.slice('smoke-repair-validate-'.length)}`;
        const overrides = new Map<string, string>();
        for (const file of input.sandbox.changed) {
          const rel = path.relative(spec.context, path.join(input.workspace, file));
          if (!rel.startsWith('..') && !path.isAbsolute(rel)) overrides.set(rel.split(path.sep).join('/'), input.sandbox.pathOf(file));
        }
        notes.push(`built ${builtImage} from ${spec.context} with ${copied.join(', ')} from the sandbox`);
        const timeout = AbortSignal.timeout(input.buildTimeoutMs);
        madeContainers = true;
        try {
          await buildImage(docker, { ...spec, image: builtImage }, {
            overrides,
            onLine: input.onLine,
            signal: input.signal ? AbortSignal.any([input.signal, timeout]) : timeout,
            labels: { [VALIDATION_LABEL]: '1', [VALIDATION_OWNER_LABEL]: String(process.pid) },
          });
        } catch (err) {
          input.signal?.throwIfAborted();
          const message = (err as Error).message;
          const environmental = timeout.aborted || /pull access denied|manifest unknown|not found: manifest|repository does not exist|no such host|dial tcp|TLS handshake|i\/o timeout/i.test(message);
          throw new AppStartError(`the image does not build with the patch: ${message}`, environmental ? 'environment' : 'patch');
        }
        // The new image brings its own ENV; keep only what the container added.
        const originalImageEnv = new Set((await docker.getImage(info.Image).inspect().catch(() => undefined))?.Config?.Env ?? []);
        env = env.filter((e) => !originalImageEnv.has(e));
        image = builtImage;
      } else {
        notes.push(`${unmounted.join(', ')}: neither mounted nor copied into the image; the container does not see ${unmounted.length === 1 ? 'it' : 'them'}`);
      }
    }

    const binds = mounts.map((m) => `${m.Source}:${m.Destination}:ro`);
    binds.push(...(await fileBinds(input, mounted)));
    env = [...env.filter((e) => !e.startsWith(`${input.portEnv}=`)).map((e) => replacePort(e, input.originalPort, input.port)), `${input.portEnv}=${input.port}`];
    const swap = (args: string[] | string | null | undefined) =>
      args == null ? undefined : (Array.isArray(args) ? args : [args]).map((a) => replacePort(a, input.originalPort, input.port));

    input.signal?.throwIfAborted();
    madeContainers = true;
    container = await docker.createContainer({
      name,
      Image: image,
      Cmd: swap(info.Config.Cmd),
      Entrypoint: swap(info.Config.Entrypoint as string[] | string | null),
      WorkingDir: info.Config.WorkingDir || undefined,
      User: info.Config.User || undefined,
      Env: env,
      Tty: tty,
      Labels: { [VALIDATION_LABEL]: '1', [VALIDATION_OF_LABEL]: info.Name.replace(/^\//, ''), [VALIDATION_OWNER_LABEL]: String(process.pid) },
      HostConfig: { NetworkMode: 'host', Binds: binds },
    });
    await container.start();
    await waitHealthy();
  }

  async function waitHealthy(): Promise<void> {
    const deadline = Date.now() + input.healthTimeoutMs;
    for (;;) {
      input.signal?.throwIfAborted();
      if (await isHealthy(input.baseUrl, input.health, 1000)) return;
      const state = (await container!.inspect()).State;
      if (!state.Running) {
        throw new AppStartError(`the patched app's container exited (code ${state.ExitCode}) before it answered ${input.baseUrl} (${describeProbe(input.health)})\n${await outputTail()}`, 'patch');
      }
      if (Date.now() > deadline) {
        throw new AppStartError(`the patched app did not answer ${input.baseUrl} (${describeProbe(input.health)}) within ${input.healthTimeoutMs} ms\n${await outputTail()}`, 'patch');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function outputTail(): Promise<string> {
    if (!container) return '';
    try {
      const raw = (await container.logs({ stdout: true, stderr: true, timestamps: true, tail: 40, follow: false })) as unknown as Buffer;
      return demultiplexDockerLogs(raw, tty)
        .map((l) => l.text)
        .join('\n');
    } catch {
      return '';
    }
  }

  return {
    describe: () => `docker container ${name}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    start,
    outputTail,
    dispose: async () => {
      const c = container;
      container = undefined;
      if (c) await c.remove({ force: true, v: true }).catch(() => undefined);
      const img = builtImage;
      builtImage = undefined;
      if (img && docker) await docker.getImage(img).remove({ force: true }).catch(() => undefined);
    },
  };
}

/** Which changed files a bind mount shows to the container (and where), and which none does. */
export function placeChangedFiles(
  workspace: string,
  changed: readonly string[],
  mounts: Array<{ Source: string; Destination: string }>,
): { mounted: Array<{ file: string; source: string; destination: string }>; unmounted: string[] } {
  const mounted: Array<{ file: string; source: string; destination: string }> = [];
  const unmounted: string[] = [];
  for (const file of changed) {
    const abs = path.join(workspace, ...file.split('/'));
    let best: { Source: string; Destination: string } | undefined;
    for (const m of mounts) {
      const src = m.Source.replace(/\/+$/, '');
      if ((abs === src || abs.startsWith(src + '/')) && (!best || src.length > best.Source.length)) best = { ...m, Source: src };
    }
    if (!best) unmounted.push(file);
    else mounted.push({ file, source: best.Source, destination: path.posix.join(best.Destination, path.relative(best.Source, abs).split(path.sep).join('/')) });
  }
  return { mounted, unmounted };
}

/**
 * Binds that show the sandbox copies to the container. A changed file that exists is bound over
 * its container path. A file the patch creates cannot be: Docker would create the mount point in
 * the workspace. Its nearest existing folder is copied into the sandbox instead and bound over.
 */
async function fileBinds(input: DockerAppInput, mounted: Array<{ file: string; source: string; destination: string }>): Promise<string[]> {
  const binds: string[] = [];
  const copiedFolders: Array<{ host: string; copy: string }> = [];
  for (const m of mounted) {
    const abs = path.join(input.workspace, ...m.file.split('/'));
    if (await exists(abs)) continue;
    let folder = path.dirname(abs);
    while (folder !== m.source && !(await exists(folder))) folder = path.dirname(folder);
    if (copiedFolders.some((c) => folder === c.host || folder.startsWith(c.host + '/'))) continue;
    const copy = path.join(input.sandbox.root, 'mounts', String(copiedFolders.length));
    await cp(folder, copy, { recursive: true, verbatimSymlinks: true });
    copiedFolders.push({ host: folder, copy });
    binds.push(`${copy}:${path.posix.normalize(`${m.destination}/${path.relative(abs, folder).split(path.sep).join('/')}`)}:ro`);
  }
  for (const m of mounted) {
    const abs = path.join(input.workspace, ...m.file.split('/'));
    const inCopy = copiedFolders.find((c) => abs.startsWith(c.host + '/'));
    if (inCopy) {
      const target = path.join(inCopy.copy, path.relative(inCopy.host, abs));
      await cp(input.sandbox.pathOf(m.file), target, { force: true }).catch(async () => {
        await writeFile(target, await readFile(input.sandbox.pathOf(m.file)));
      });
    } else binds.push(`${input.sandbox.pathOf(m.file)}:${m.destination}:ro`);
  }
  return binds;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * The unmounted changed files that the image build copies in: inside the build context, not
 * excluded by `.dockerignore`, and named by a COPY or ADD source of the Dockerfile (a source with
 * wildcards, or `.`, counts as copying everything under it).
 */
export async function filesTheImageCopies(spec: BuildSpec, workspace: string, files: string[]): Promise<string[]> {
  const dockerfile = await readFile(path.join(spec.context, spec.dockerfile), 'utf8').catch(() => '');
  const ignore = createDockerIgnore({ ignorecase: false }).add(await readFile(path.join(spec.context, '.dockerignore'), 'utf8').catch(() => ''));
  const sources = copySources(dockerfile);
  return files.filter((file) => {
    const rel = path.relative(spec.context, path.join(workspace, file)).split(path.sep).join('/');
    if (rel.startsWith('../') || path.isAbsolute(rel) || ignore.ignores(rel)) return false;
    return sources.some((src) => src === '.' || /[*?[]/.test(src) || rel === src || rel.startsWith(src + '/'));
  });
}

/** Source paths of the COPY and ADD instructions that read the build context (not `--from=`). */
export function copySources(dockerfile: string): string[] {
  const sources: string[] = [];
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    const m = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m) continue;
    let rest = m[2].trim();
    if (/--from[= ]/i.test(rest)) continue;
    rest = rest.replace(/--[a-z-]+(=\S+)?\s+/gi, '');
    let parts: string[];
    if (rest.startsWith('[')) {
      try {
        parts = JSON.parse(rest) as string[];
      } catch {
        continue;
      }
    } else parts = rest.split(/\s+/);
    for (const src of parts.slice(0, -1)) sources.push(path.posix.normalize(src.replace(/^\.\//, '')).replace(/\/+$/, '') || '.');
  }
  return sources;
}
