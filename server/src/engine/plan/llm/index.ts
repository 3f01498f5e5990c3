import type { SmokeConfig } from '../../config/schema';
import type { NoPlan, Planner } from '../../contracts';
import { createOpenAiCompatibleProvider, type FetchLike } from './openai';
import { createPlannerFromProvider, type LlmMode } from './planner';
import type { LlmLog, LlmProvider } from './provider';

/**
 * The optional LLM planner's public face. Off unless `llm` is configured in smoke-repair.yaml.
 */

export { createOpenAiCompatibleProvider, type FetchLike, type OpenAiCompatibleOptions } from './openai';
export { createPlannerFromProvider, REPAIR_RETRIES, type LlmMode, type LlmNoPlan, type LlmPlannerOptions } from './planner';
export { buildPlanPrompt, buildRegeneratePrompt, regenerateFiles, regenerateSystemPrompt, repairMessages, systemPrompt } from './prompt';
export { parsePlanOutput, stripCodeFence, type ParsedOutput, type PlanTarget } from './parse';
export { describePlanFormat } from './planFormat';
export { codeExcerpts, codeSpots, type Excerpt } from './excerpts';
export * from './provider';

export interface LlmSecrets {
  /** The API key from the editor's secret store; wins over the environment variable. */
  apiKey?: string | (() => string | undefined | Promise<string | undefined>);
}

export interface CreateLlmPlannerOptions {
  fetch?: FetchLike;
  /** Environment to read `llm.apiKeyEnv` from; `process.env` by default. */
  env?: Record<string, string | undefined>;
  secrets?: LlmSecrets;
  /** Another provider (the editor's language model) in place of the configured endpoint. */
  provider?: LlmProvider;
  signal?: AbortSignal;
  log?: LlmLog;
  /** plan (default): a planner of the chain; regenerate: rewrite the failing code (the loop, at a plateau). */
  mode?: LlmMode;
}

/** The NoPlan to report when an LLM is asked for and none is configured. */
export const LLM_UNAVAILABLE: NoPlan = {
  code: 'llm_unavailable',
  reason: 'no LLM is configured: add an `llm` section (baseUrl, model) to smoke-repair.yaml to let a model plan fixes no rule covers',
};

/** The NoPlan when `llm.provider` is `vscode-lm` and there is no editor to ask (the command line). */
export const LLM_EDITOR_ONLY: NoPlan = {
  code: 'llm_unavailable',
  reason:
    'the vscode-lm provider works only in the editor (it asks VS Code\'s language model); on the command line, configure `provider: openai-compatible` with baseUrl and model',
};

/**
 * Why `createLlmPlanner(config, opts)` gives no planner, or undefined when it gives one:
 * LLM_UNAVAILABLE without an `llm` section, LLM_EDITOR_ONLY for `vscode-lm` without the editor's provider.
 */
export function llmUnavailable(config: SmokeConfig, opts: Pick<CreateLlmPlannerOptions, 'provider'> = {}): NoPlan | undefined {
  if (!config.llm) return LLM_UNAVAILABLE;
  if (config.llm.provider === 'vscode-lm' && !opts.provider) return LLM_EDITOR_ONLY;
  return undefined;
}

/**
 * The LLM planner for `config`, or undefined when there is none to make: no `llm` section, or
 * `provider: vscode-lm` without `opts.provider` (the editor's language model; the command line has
 * none). `llmUnavailable` says why in each case.
 */
export function createLlmPlanner(config: SmokeConfig, opts: CreateLlmPlannerOptions = {}): Planner | undefined {
  const llm = config.llm;
  if (!llm) return undefined;
  const plannerOptions = { maxOperations: llm.maxOperations, signal: opts.signal, log: opts.log, mode: opts.mode };
  if (llm.provider === 'vscode-lm') {
    return opts.provider ? createPlannerFromProvider(opts.provider, plannerOptions) : undefined;
  }
  if (opts.provider) return createPlannerFromProvider(opts.provider, plannerOptions);
  if (!llm.baseUrl || !llm.model) return undefined; // the schema requires both for openai-compatible
  const env = opts.env ?? process.env;
  const secret = opts.secrets?.apiKey;
  const apiKey = async (): Promise<string | undefined> => {
    const fromSecrets = typeof secret === 'function' ? await secret() : secret;
    return fromSecrets || env[llm.apiKeyEnv] || undefined;
  };
  const provider = createOpenAiCompatibleProvider({ baseUrl: llm.baseUrl, model: llm.model, apiKey, timeoutMs: llm.timeoutMs, fetch: opts.fetch, log: opts.log });
  return createPlannerFromProvider(provider, plannerOptions);
}
