import type Docker from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EnvironmentError } from '../model';
import { packBuildContext, type ContextOverrides } from './buildContext';

/** What a rebuild needs: where the build context is, which Dockerfile, its arguments, the tag. */
export interface BuildSpec {
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
  image: string;
}

const composeBuildSchema = z.union([
  z.string(),
  z.object({
    context: z.string().default('.'),
    dockerfile: z.string().optional(),
    args: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]).optional(),
  }),
]);
const composeSchema = z.object({
  services: z.record(z.string(), z.object({ build: composeBuildSchema.optional(), image: z.string().optional() }).loose().nullable()).optional(),
});

/** `${VAR}`, `${VAR:-default}` and `$VAR` as compose substitutes them from the environment. */
export function substituteComposeVariables(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, name, op, fallback, bare) => {
    if (all === '$$') return '$';
    const key = name ?? bare;
    const value = env[key];
    if (op === ':-') return value ? value : fallback;
    if (op === '-') return value !== undefined ? value : fallback;
    return value ?? '';
  });
}

function argsRecord(args: Record<string, string | number | boolean | null> | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(args)) {
    for (const item of args) {
      const at = item.indexOf('=');
      if (at > 0) out[item.slice(0, at)] = item.slice(at + 1);
      else if (process.env[item] !== undefined) out[item] = process.env[item]!;
    }
  } else if (args) {
    for (const [k, v] of Object.entries(args)) if (v !== null) out[k] = String(v);
  }
  return out;
}

/**
 * Where the image of a compose service (or a plain container) is built from: the service's `build`
 * in the compose file, else the workspace itself. Throws EnvironmentError when there is no
 * Dockerfile: a rebuild is only ever attempted with one.
 */
export function resolveBuildSpec(opts: {
  workspace: string;
  composeFile?: string;
  service?: string;
  image: string;
  buildArgs: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}): BuildSpec {
  const env = opts.env ?? process.env;
  let context = opts.workspace;
  let dockerfile = 'Dockerfile';
  let args: Record<string, string> = {};
  if (opts.composeFile && opts.service && existsSync(opts.composeFile)) {
    let doc: unknown;
    try {
      doc = parseYaml(substituteComposeVariables(readFileSync(opts.composeFile, 'utf8'), env));
    } catch (err) {
      throw new EnvironmentError(`${opts.composeFile} could not be read as YAML: ${(err as Error).message}`, 'Fix the compose file, then rebuild again.');
    }
    const parsed = composeSchema.safeParse(doc);
    const build = parsed.success ? parsed.data.services?.[opts.service]?.build : undefined;
    if (build !== undefined) {
      const base = path.dirname(opts.composeFile);
      if (typeof build === 'string') context = path.resolve(base, build);
      else {
        context = path.resolve(base, build.context);
        dockerfile = build.dockerfile ?? dockerfile;
        args = argsRecord(build.args);
      }
    }
  }
  const file = path.resolve(context, dockerfile);
  if (!existsSync(file)) {
    throw new EnvironmentError(`There is no Dockerfile at ${file}, so the image is not rebuilt.`, 'Add a Dockerfile (or `build:` to the compose service), or leave `app.docker.rebuild` off.');
  }
  return { context, dockerfile, args: { ...args, ...opts.buildArgs }, image: opts.image };
}

/** How a build goes: files of the context replaced by others (a patched copy), progress lines, limits. */
export interface BuildImageOptions {
  /** Context-relative path → host file whose bytes replace (or add) it in the build context. */
  overrides?: ContextOverrides;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Labels of the built image (e.g. to find and remove it afterwards). */
  labels?: Record<string, string>;
}

/**
 * Build `spec.image` from `spec.context` (honouring `.dockerignore`), host network, build args of the
 * spec. Throws EnvironmentError with the last lines of the build's output when it fails.
 */
export async function buildImage(docker: Docker, spec: BuildSpec, opts: BuildImageOptions = {}): Promise<void> {
  const onLine = opts.onLine ?? (() => {});
  const tar = packBuildContext(spec.context, opts.overrides, spec.dockerfile.split(path.sep).join('/'));
  const stream = await docker.buildImage(tar, {
    t: spec.image,
    dockerfile: spec.dockerfile,
    buildargs: spec.args,
    networkmode: 'host',
    rm: true,
    forcerm: true,
    ...(opts.labels ? { labels: opts.labels } : {}),
    ...(opts.signal ? { abortSignal: opts.signal } : {}),
  });
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: Array<{ error?: string }>) => {
        const failed = err?.message ?? events?.find((e) => e.error)?.error;
        if (failed) {
          reject(
            new EnvironmentError(
              `Building ${spec.image} from ${path.join(spec.context, spec.dockerfile)} failed: ${failed.trim()}\n${tail.slice(-15).join('\n')}`,
              'Fix the build (run `docker build` in that folder to see it whole), then run again.',
            ),
          );
        } else resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const text = (event.stream ?? event.status ?? '').trimEnd();
        if (!text) return;
        for (const line of text.split('\n')) {
          tail.push(line);
          if (tail.length > 50) tail.shift();
          onLine(line);
        }
      },
    );
  });
}
