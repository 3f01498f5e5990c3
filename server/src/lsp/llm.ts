import { CancellationTokenSource, type CancellationToken } from 'vscode-languageserver/node';
import type { LlmConfig, SmokeConfig } from '../engine/config/schema';
import { LlmError, type ChatMessage, type ChatOptions, type ChatResult, type CreateLlmPlannerOptions, type LlmProvider, type LlmSecrets } from '../engine/plan/llm';
import { defaultPlanners } from '../engine/repair/defaults';
import type { Planner } from '../engine/contracts';
import { LlmChatRequest, LlmCredentialsNotification } from '../protocol';

/**
 * The LLM planner in the editor: the API key the client keeps in VS Code's secret store (held here
 * in memory only, never logged), and the `vscode-lm` provider, which asks the editor's language
 * model through the `smokeRepair/llmChat` request.
 */

/** Sends one `smokeRepair/llmChat` request; `signal` cancels it (`$/cancelRequest`). */
export type LlmChatSender = (params: LlmChatRequest.Params, signal: AbortSignal) => Promise<unknown>;

/** What `chatSender` needs of a JSON-RPC connection (the server's connection has it). */
export interface RequestSender {
  sendRequest(method: string, params: unknown, token: CancellationToken): Promise<unknown>;
}

/** Sends the chat request over `connection`; an aborted signal sends `$/cancelRequest`. */
export function chatSender(connection: RequestSender): LlmChatSender {
  return async (params, signal) => {
    const source = new CancellationTokenSource();
    const cancel = () => source.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return await connection.sendRequest(LlmChatRequest.method, params, source.token);
    } finally {
      signal.removeEventListener('abort', cancel);
      source.dispose();
    }
  };
}

export interface EditorLlmHost {
  send: LlmChatSender;
  log(line: string): void;
}

/** JSON-RPC's "method not found": the client does not answer the chat request. */
const METHOD_NOT_FOUND = -32601;

export class EditorLlm {
  private apiKey: string | undefined;

  constructor(private readonly host: EditorLlmHost) {}

  /** The key to use, from the secret store; wins over `llm.apiKeyEnv`. */
  readonly secrets: LlmSecrets = { apiKey: () => this.apiKey };

  /** Takes a `smokeRepair/llmCredentials` notification; says whether a key is held now, never the key. */
  setCredentials(raw: unknown): void {
    const parsed = LlmCredentialsNotification.paramsSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      this.host.log(`ignoring a malformed ${LlmCredentialsNotification.method} notification (expected { apiKey?: string })`);
      return;
    }
    this.apiKey = parsed.data.apiKey;
    this.host.log(this.apiKey !== undefined ? 'an LLM API key is stored in the editor; it is used for the openai-compatible provider' : 'no LLM API key is stored in the editor');
  }

  /** The editor's language model as an LlmProvider, for `llm.provider: vscode-lm`. */
  provider(llm: LlmConfig): LlmProvider {
    return createEditorLlmProvider(this.host, { vendor: llm.vendor, family: llm.family, timeoutMs: llm.timeoutMs });
  }

  /** The editor's key and model for a folder's config, as the engine's LLM planners take them. */
  options(config: SmokeConfig): CreateLlmPlannerOptions {
    const llm = config.llm;
    return {
      secrets: this.secrets,
      provider: llm?.provider === 'vscode-lm' ? this.provider(llm) : undefined,
      log: (line) => this.host.log(line),
    };
  }

  /** The planner chain for a folder's config: the engine's, with the editor's key and model. */
  planners(config: SmokeConfig): Planner[] {
    return defaultPlanners(config, this.options(config));
  }
}

export interface EditorProviderOptions {
  vendor?: string;
  family?: string;
  timeoutMs: number;
}

/** `vendor/family` as a person reads it. */
function modelWords(opts: EditorProviderOptions): string {
  const parts = [opts.vendor && `vendor ${opts.vendor}`, opts.family && `family ${opts.family}`].filter(Boolean);
  return parts.length ? `a language model (${parts.join(', ')})` : 'a language model';
}

/** The `vscode-lm` LlmProvider over the `smokeRepair/llmChat` request. */
export function createEditorLlmProvider(host: EditorLlmHost, opts: EditorProviderOptions): LlmProvider {
  const wanted = modelWords(opts);

  function mapError(err: unknown): LlmError {
    const e = err as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    const message = typeof e?.message === 'string' ? e.message : String(err);
    const data = LlmChatRequest.errorDataSchema.safeParse(e?.data);
    if (!data.success) {
      if (e?.code === METHOD_NOT_FOUND) {
        return new LlmError('http', `the editor does not answer ${LlmChatRequest.method}: the vscode-lm provider needs the Smoke Repair extension in VS Code 1.90 or later`);
      }
      return new LlmError('network', `the editor could not be asked: ${message}`);
    }
    const detail = data.data.detail ? ` (${data.data.detail})` : '';
    switch (data.data.kind) {
      case 'cancelled':
        return new LlmError('aborted', `the editor cancelled the language model request${detail}`);
      case 'unavailable':
        return new LlmError('http', `no language model is available in the editor for ${wanted}: ${message}; check llm.vendor and llm.family, and that a model provider (e.g. GitHub Copilot Chat) is installed and signed in`, undefined, message);
      case 'noPermissions':
        return new LlmError('http', `Smoke Repair may not use ${wanted}: ${message}; allow it when the editor asks, or in the extension's language model access settings`, undefined, message);
      case 'blocked':
        return new LlmError('http', `the language model refused the request${detail}: ${message}`, undefined, message);
      case 'notFound':
        return new LlmError('http', `the language model was not found${detail}: ${message}`, undefined, message);
      default:
        return new LlmError('http', `the language model request failed${detail}: ${message}`, undefined, message);
    }
  }

  async function chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    if (options.signal?.aborted) throw new LlmError('aborted', 'the request was cancelled');
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, opts.timeoutMs);
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
    });
    stopped.catch(() => undefined);
    const params: LlmChatRequest.Params = {
      messages,
      temperature: options.temperature,
      responseFormat: options.responseFormat,
      ...(opts.vendor !== undefined ? { vendor: opts.vendor } : {}),
      ...(opts.family !== undefined ? { family: opts.family } : {}),
    };
    const started = Date.now();
    try {
      let raw: unknown;
      try {
        raw = await Promise.race([host.send(params, controller.signal), stopped]);
      } catch (err) {
        if (timedOut) throw new LlmError('timeout', `no answer from the editor's language model within ${opts.timeoutMs} ms (llm.timeoutMs)`);
        if (options.signal?.aborted) throw new LlmError('aborted', 'the request was cancelled');
        throw mapError(err);
      }
      const parsed = LlmChatRequest.resultSchema.safeParse(raw);
      if (!parsed.success) throw new LlmError('invalid_response', `the editor answered ${LlmChatRequest.method} without { text }`);
      host.log(`llm: vscode-lm ${wanted} answered ${parsed.data.text.length} characters in ${Date.now() - started} ms`);
      return { text: parsed.data.text };
    } catch (err) {
      if (err instanceof LlmError) host.log(`llm: vscode-lm ${wanted} failed after ${Date.now() - started} ms (${err.kind}): ${err.message}`);
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  return { name: 'vscode-lm', chat };
}
