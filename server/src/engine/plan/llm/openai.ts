import { z } from 'zod';
import { LlmError, type ChatMessage, type ChatOptions, type ChatResult, type LlmLog, type LlmProvider } from './provider';

/**
 * The OpenAI-compatible chat adapter: POST `{baseUrl}/chat/completions` with `model`, `messages`,
 * `temperature` and, for JSON, `response_format: { type: "json_object" }`. Servers that refuse
 * that field with a 400 (some Ollama, LM Studio and vLLM versions) are asked again once without
 * it, and not asked with it again by this provider.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  model: string;
  /** The API key, looked up for each request (an editor's secret store may change it). */
  apiKey?: () => string | undefined | Promise<string | undefined>;
  timeoutMs: number;
  fetch?: FetchLike;
  log?: LlmLog;
}

const usageSchema = z
  .looseObject({
    prompt_tokens: z.number().optional(),
    completion_tokens: z.number().optional(),
    total_tokens: z.number().optional(),
  })
  .nullable()
  .optional();

const envelopeSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({ content: z.string().nullable().optional() }),
      }),
    )
    .min(1, 'no choices in the answer'),
  usage: usageSchema,
});

/** The most of a server's error text kept in an error message. */
const MAX_SERVER_MESSAGE = 500;

export function createOpenAiCompatibleProvider(opts: OpenAiCompatibleOptions): LlmProvider {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => fetch(input, init));
  const log: LlmLog = opts.log ?? (() => {});
  let jsonModeRefused = false;

  async function send(messages: ChatMessage[], options: ChatOptions, jsonMode: boolean): Promise<ChatResult> {
    const body: Record<string, unknown> = { model: opts.model, messages, temperature: options.temperature, stream: false };
    if (jsonMode) body.response_format = { type: 'json_object' };
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const key = await opts.apiKey?.();
    if (key) headers.authorization = `Bearer ${key}`;
    const say = (line: string) => log(redact(line, key));

    if (options.signal?.aborted) throw new LlmError('aborted', 'the request was cancelled');
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const started = Date.now();
    const failed = (err: unknown): LlmError => {
      if (options.signal?.aborted) return new LlmError('aborted', 'the request was cancelled');
      if (timeout.aborted) return new LlmError('timeout', `no answer from ${url} within ${opts.timeoutMs} ms (llm.timeoutMs)`);
      const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
      return new LlmError('network', `cannot reach ${url}: ${detail}`);
    };

    let status: number;
    let text: string;
    try {
      const res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = failed(err);
      say(`llm: POST ${url} model=${opts.model} failed after ${Date.now() - started} ms: ${e.message}`);
      throw e;
    }
    say(`llm: POST ${url} model=${opts.model} json=${jsonMode} → ${status} in ${Date.now() - started} ms`);

    if (status < 200 || status >= 300) {
      const serverMessage = errorMessageOf(text);
      throw new LlmError('http', `${url} answered ${status}${serverMessage ? `: ${serverMessage}` : ''}`, status, serverMessage);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LlmError('invalid_response', `${url} answered ${status} with a body that is not JSON: ${clip(text, 200)}`, status);
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new LlmError(
        'invalid_response',
        `${url} answered ${status} without a chat completion (${issue.path.join('.') || 'body'}: ${issue.message})`,
        status,
      );
    }
    const content = parsed.data.choices[0]!.message.content;
    if (typeof content !== 'string') {
      throw new LlmError('invalid_response', `${url} answered ${status} with no text in choices[0].message.content`, status);
    }
    const u = parsed.data.usage;
    return {
      text: content,
      usage: u ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens } : undefined,
    };
  }

  async function chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatResult> {
    const wantJson = options.responseFormat === 'json' && !jsonModeRefused;
    try {
      return await send(messages, options, wantJson);
    } catch (err) {
      if (wantJson && err instanceof LlmError && refusesJsonMode(err)) {
        jsonModeRefused = true;
        log(`llm: ${url} does not support response_format; asking again without it`);
        return send(messages, options, false);
      }
      throw err;
    }
  }

  return {
    name: 'openai-compatible',
    async chat(messages, options) {
      try {
        return await chat(messages, options);
      } catch (err) {
        // A server may echo the key back in its error ("Incorrect API key provided: sk-...").
        const key = await opts.apiKey?.();
        if (err instanceof LlmError) throw redacted(err, key);
        throw new LlmError('network', redact(`request to ${url} failed: ${(err as Error)?.message ?? String(err)}`, key));
      }
    },
  };
}

function redact(text: string, key: string | undefined): string {
  return key && key.length >= 4 ? text.split(key).join('[redacted]') : text;
}

function redacted(err: LlmError, key: string | undefined): LlmError {
  if (!key || (!err.message.includes(key) && !err.serverMessage?.includes(key))) return err;
  return new LlmError(err.kind, redact(err.message, key), err.status, err.serverMessage && redact(err.serverMessage, key));
}

/** A 400 (or 422) whose message is about the response_format field. */
function refusesJsonMode(err: LlmError): boolean {
  if (err.kind !== 'http' || (err.status !== 400 && err.status !== 422)) return false;
  return /response[_ ]?format|json[_ ]object|json mode/i.test(err.serverMessage ?? '');
}

/** The message in an error body: OpenAI `{error:{message}}`, Ollama `{error:"..."}`, `{message}`, `{detail}`, or the text. */
function errorMessageOf(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const j = JSON.parse(trimmed) as Record<string, unknown>;
    const err = j?.error;
    const candidates = [
      typeof err === 'object' && err !== null ? (err as Record<string, unknown>).message : err,
      j?.message,
      j?.detail,
    ];
    for (const c of candidates) {
      if (typeof c === 'string' && c.trim()) return clip(c.trim(), MAX_SERVER_MESSAGE);
      if (c !== undefined && c !== null && typeof c === 'object') return clip(JSON.stringify(c), MAX_SERVER_MESSAGE);
    }
  } catch {
    // not JSON: the text itself is the message
  }
  return clip(trimmed, MAX_SERVER_MESSAGE);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
