import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LlmError } from '../../server/src/engine/plan/llm';

/**
 * A local HTTP server speaking the OpenAI-compatible chat API (POST /v1/chat/completions) with
 * scripted answers: each test queues the answers it wants, in order, and reads back the requests
 * the server got. Listens on 127.0.0.1 with a port the OS picks.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw request body. */
  raw: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: any;
}

/** One scripted answer. */
export type StubAnswer =
  /** A chat completion whose message content is this text (status 200). */
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } }
  /** Any status with a JSON body. */
  | { status: number; json: unknown }
  /** Any status with a raw body. */
  | { status: number; text: string; contentType?: string }
  /** Wait before answering (or never answer when `then` is absent): for timeouts. */
  | { delayMs: number; then?: StubAnswer }
  /** Decided from the request. */
  | ((req: RecordedRequest) => StubAnswer);

export interface LlmStub {
  /** API root to configure as `llm.baseUrl` (`http://127.0.0.1:PORT/v1`). */
  baseUrl: string;
  port: number;
  /** Chat requests received, in order. */
  requests: RecordedRequest[];
  /** Queue answers for the next requests. */
  enqueue(...answers: StubAnswer[]): void;
  /** Answers still queued. */
  pending(): number;
  /** Forget queued answers and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export function completion(content: string, model = 'stub-model'): Record<string, unknown> {
  return {
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startLlmStub(): Promise<LlmStub> {
  const queue: StubAnswer[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  async function answer(res: ServerResponse, a: StubAnswer, rec: RecordedRequest): Promise<void> {
    if (typeof a === 'function') return answer(res, a(rec), rec);
    if ('delayMs' in a) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, a.delayMs);
        timers.add(t);
        res.on('close', () => {
          clearTimeout(t);
          timers.delete(t);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) return;
      if (a.then) return answer(res, a.then, rec);
      return; // never answers; the client's timeout ends it
    }
    if ('content' in a) return sendJson(res, 200, { ...completion(a.content, rec.body?.model), ...(a.usage ? { usage: a.usage } : {}) });
    if ('json' in a) return sendJson(res, a.status, a.json);
    res.writeHead(a.status, { 'content-type': a.contentType ?? 'text/plain' });
    res.end(a.text);
  }

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || !/\/chat\/completions$/.test(path)) {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    }
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const rec: RecordedRequest = { method: req.method, path, headers: { ...req.headers }, raw, body };
    requests.push(rec);
    const next = queue.shift();
    if (!next) return sendJson(res, 500, { error: { message: 'llm stub: no scripted answer left', type: 'server_error' } });
    try {
      await answer(res, next, rec);
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `llm stub: ${(err as Error).message}` } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    enqueue: (...answers) => void queue.push(...answers),
    pending: () => queue.length,
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The LlmError a chat fails with; fails the test when it succeeds or fails with anything else. */
export async function rejection(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected an LlmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the chat to fail');
}
