/**
 * The LlmProvider port: one chat turn with a language model, nothing more.
 *
 * The planner speaks only to this interface. Adapters:
 *  - `openai-compatible` (openai.ts): POST `{baseUrl}/chat/completions`, which covers hosted APIs,
 *    Ollama, vLLM and LM Studio.
 *  - the editor's VS Code Language Model API (`vscode.lm`), added on the client side: it maps
 *    `messages` to `LanguageModelChatMessage`s (system text goes first as a user message, since
 *    that API has no system role), asks for JSON in the prompt itself (no response-format switch),
 *    joins the streamed text fragments into `text`, and turns cancellation and
 *    `LanguageModelError`s into LlmError with `kind` `aborted` / `http`.
 *
 * What every adapter promises (the contract test in test/unit/llm-provider.test.ts checks it):
 *  - resolves with the model's whole answer as `text` (a string, possibly empty of JSON: parsing
 *    is the planner's job, never the adapter's);
 *  - sends `temperature` and asks for JSON when `responseFormat` is `json` and the backend can;
 *  - rejects only with LlmError: `http` (with the status and the server's own message),
 *    `network`, `timeout`, `aborted` (the caller's signal fired) or `invalid_response` (the
 *    envelope did not have the expected shape);
 *  - never puts the API key in an error message or a log line.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatOptions {
  /** Always 0 for planning: the same prompt should give the same plan. */
  temperature: number;
  /** `json`: ask the backend for a JSON object when it supports that. */
  responseFormat: 'json' | 'text';
  signal?: AbortSignal;
}

export interface ChatUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export interface ChatResult {
  text: string;
  usage?: ChatUsage;
}

export interface LlmProvider {
  /** `openai-compatible`, `vscode-lm`. */
  readonly name: string;
  chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatResult>;
}

export type LlmErrorKind = 'http' | 'network' | 'timeout' | 'aborted' | 'invalid_response';

/** A failed chat turn, with what a person needs to act on it. Never carries the API key. */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    /** HTTP status, for `http`. */
    readonly status?: number,
    /** The server's own error message, when it sent one. */
    readonly serverMessage?: string,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** Lines for diagnostics (request metadata, statuses, timings); never headers or keys. */
export type LlmLog = (line: string) => void;
