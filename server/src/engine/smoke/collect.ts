import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { request } from 'undici';
import type { LoadedConfig } from '../config';
import type { SmokeConfig } from '../config/schema';
import { ConfigError, EnvironmentError, type Scenario } from '../model';
import { RequestDecoration, redactorFor, resolveSettings, scenarioEnvironment, suppliedNames, type CredentialPlacement } from './decorate';
import { deriveScenarios, mergeScenarios, operationFor, parseOpenApi, type OperationOutcome, type Unsatisfied } from './openapi';
import { IdAllocator, scenariosFromConfig } from './scenarios';

/**
 * Every scenario of a run: the file's, then those derived from the OpenAPI document (a file
 * scenario for the same operation wins), every operation left without one and why, and the
 * decoration (configured headers, query parameters, credential) the runner adds at send time.
 */

export interface CollectOptions {
  workspace: string;
  /** Workspace-relative path of the configuration file (scenario sources use it). */
  configFile: string;
  loaded: Extract<LoadedConfig, { ok: true }>;
  baseUrl: string;
  signal?: AbortSignal;
  /** Where `${env:NAME}` values come from (default: this process's environment). */
  env?: Record<string, string | undefined>;
}

export interface Collected {
  scenarios: Scenario[];
  /** Operations of the OpenAPI document no scenario covers: not derivable, or left out by `openapi.exclude`; each with why. */
  unsatisfied: Unsatisfied[];
  /** Operations left out by `openapi.exclude` ("METHOD /path"); also listed in `unsatisfied`. */
  excluded: string[];
  /** What became of each operation of the document (empty without one). */
  operations: OperationOutcome[];
  /**
   * Headers, query parameters and the credential every request carries, applied by the runner at
   * send time (`RunOptions.decoration`); never part of a scenario, so never reported or recorded.
   */
  decoration: RequestDecoration;
}

export async function collectScenarios(config: SmokeConfig, opts: CollectOptions): Promise<Scenario[]> {
  return (await collectScenariosDetailed(config, opts)).scenarios;
}

/** Throws ConfigError (an unset `${env:NAME}`, a bad document) and EnvironmentError (a document that cannot be fetched). */
export async function collectScenariosDetailed(config: SmokeConfig, opts: CollectOptions): Promise<Collected> {
  const env = opts.env ?? process.env;
  const source = { file: opts.loaded.file, text: opts.loaded.text };
  const resolved = resolveSettings(config.smoke ?? {}, source, env);
  const referenced = scenarioEnvironment(config.scenarios ?? [], source, env);
  const errors = [...(resolved.ok ? [] : resolved.errors), ...referenced.errors];
  if (!resolved.ok || errors.length) throw new ConfigError(opts.loaded.file, errors);
  const decorationOptions = { env: referenced.values, redactor: redactorFor(config, env) };
  const ids = new IdAllocator();
  const fromFile = scenariosFromConfig(config, opts.configFile, opts.loaded.scenarioLines, ids);
  if (!config.openapi || !config.openapi.derive) {
    return { scenarios: fromFile, unsatisfied: [], excluded: [], operations: [], decoration: new RequestDecoration(resolved.settings, new Map(), decorationOptions) };
  }
  const { text, origin, file } = await readOpenApi(config.openapi.location, opts);
  const parsed = parseOpenApi(text, origin);
  if (!parsed.ok) throw new ConfigError(origin, parsed.errors);
  let basePath = '';
  try {
    basePath = new URL(opts.baseUrl).pathname;
  } catch {
    // A base URL the configuration schema let through is a URL; keep the document's paths as they are otherwise.
  }
  const derived = deriveScenarios(parsed.doc, { exclude: config.openapi.exclude, file, ids, supplied: suppliedNames(config.smoke ?? {}), basePath });
  const merged = mergeScenarios(fromFile, derived);

  // Where the credential goes, per scenario: its operation's security scheme decides, for file scenarios too.
  const placements = new Map<string, CredentialPlacement[]>();
  const covered = new Set<OperationOutcome>();
  for (const s of merged.scenarios) {
    const op = s.source.kind === 'openapi' ? derived.operations.find((o) => o.scenarioId === s.id) : operationFor(derived.operations, s);
    if (!op) continue;
    covered.add(op);
    if (op.credentialAt) placements.set(s.id, op.credentialAt);
  }
  const unsatisfied = derived.operations
    .filter((o) => !covered.has(o) && !o.scenarioId)
    .map((o) => ({ method: o.method, path: o.path, operationId: o.operationId, reason: o.reason ?? 'no scenario' }));
  return {
    scenarios: merged.scenarios,
    unsatisfied,
    excluded: derived.excluded,
    operations: derived.operations,
    decoration: new RequestDecoration(resolved.settings, placements, decorationOptions),
  };
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
