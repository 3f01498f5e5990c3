import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { request } from 'undici';
import type { LoadedConfig } from '../config';
import type { SmokeConfig } from '../config/schema';
import { ConfigError, EnvironmentError, type Scenario } from '../model';
import { deriveScenarios, mergeScenarios, parseOpenApi, type Unsatisfied } from './openapi';
import { IdAllocator, scenariosFromConfig } from './scenarios';

/**
 * Every scenario of a run: the file's, then those derived from the OpenAPI document
 * (a file scenario for the same METHOD and path wins).
 */

export interface CollectOptions {
  workspace: string;
  /** Workspace-relative path of the configuration file (scenario sources use it). */
  configFile: string;
  loaded: Extract<LoadedConfig, { ok: true }>;
  baseUrl: string;
  signal?: AbortSignal;
}

export interface Collected {
  scenarios: Scenario[];
  unsatisfied: Unsatisfied[];
  excluded: string[];
}

export async function collectScenarios(config: SmokeConfig, opts: CollectOptions): Promise<Scenario[]> {
  return (await collectScenariosDetailed(config, opts)).scenarios;
}

export async function collectScenariosDetailed(config: SmokeConfig, opts: CollectOptions): Promise<Collected> {
  const ids = new IdAllocator();
  const fromFile = scenariosFromConfig(config, opts.configFile, opts.loaded.scenarioLines, ids);
  if (!config.openapi || !config.openapi.derive) return { scenarios: fromFile, unsatisfied: [], excluded: [] };
  const { text, origin, file } = await readOpenApi(config.openapi.location, opts);
  const parsed = parseOpenApi(text, origin);
  if (!parsed.ok) throw new ConfigError(origin, parsed.errors);
  const derived = deriveScenarios(parsed.doc, { exclude: config.openapi.exclude, file, ids });
  return { scenarios: mergeScenarios(fromFile, derived.scenarios), unsatisfied: derived.unsatisfied, excluded: derived.excluded };
}

/** `location` starting with `/` (or a full URL) is fetched from the app; anything else is a workspace file. */
export async function readOpenApi(
  location: string,
  opts: { workspace: string; baseUrl: string; signal?: AbortSignal },
): Promise<{ text: string; origin: string; file?: string }> {
  if (location.startsWith('/') || /^https?:\/\//.test(location)) {
    const url = /^https?:\/\//.test(location) ? location : opts.baseUrl.replace(/\/+$/, '') + location;
    try {
      const t = AbortSignal.timeout(10_000);
      const res = await request(url, { signal: opts.signal ? AbortSignal.any([opts.signal, t]) : t });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        throw new EnvironmentError(
          `the OpenAPI document at ${url} answered ${res.statusCode}`,
          'check openapi.location in smoke-repair.yaml (a URL path on the app such as /openapi.json, or a workspace file)',
        );
      }
      return { text, origin: url };
    } catch (err) {
      if (err instanceof EnvironmentError) throw err;
      throw new EnvironmentError(`could not fetch the OpenAPI document at ${url}: ${(err as Error).message}`, 'start the app, or point openapi.location at a file in the workspace');
    }
  }
  const full = path.resolve(opts.workspace, location);
  try {
    const text = await readFile(full, 'utf8');
    return { text, origin: full, file: path.relative(opts.workspace, full).split(path.sep).join('/') };
  } catch (err) {
    throw new EnvironmentError(`could not read the OpenAPI document ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check openapi.location in smoke-repair.yaml');
  }
}
