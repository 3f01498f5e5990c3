import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Progress, Scenario, ScenarioResult } from '../model';
import { isCredentialName, Redactor } from '../redact';
import type { RequestDecoration } from './decorate';
import { traceFromResponseBody } from '../traces/body';
import { getPath, checkJsonExpectations } from './jsonpath';
import { fillRequest, placeholdersOf, type Variables } from './variables';

/**
 * The smoke runner: sends each scenario's request over a keep-alive pool, runs chains in order and
 * everything else concurrently (up to `concurrency` requests in flight), retries transient
 * failures, and records what a later stage needs (status, latency, time window, body excerpt).
 *
 * What it records of a request and its answer passes through the run's Redactor first (the
 * decoration's): paths, the request body, the body excerpt, the failure reasons and a trace in the
 * body hold no secret. The request itself is sent as written.
 */

export type { Variables } from './variables';
export { waitForHealth, isHealthy } from './health';

/** Variables per chain key (see `chainKey`); the key `''` holds variables every chain starts with. */
export type ChainVariables = Record<string, Variables>;

export interface RunOptions {
  concurrency: number;
  timeoutMs: number;
  /** Extra attempts for transient failures (connection reset, 502/503/504). */
  retries: number;
  progress?: Progress;
  signal?: AbortSignal;
  onResult?: (r: ScenarioResult) => void;
  /** Variables known before the run (e.g. from an earlier run, to re-run one step of a chain). */
  vars?: ChainVariables;
  /** First backoff delay; doubles on every retry (default 100 ms, capped at 2 s). */
  retryDelayMs?: number;
  /** Configured headers, query parameters and credential, added to each request as it is sent (never to a scenario or a result). */
  decoration?: RequestDecoration;
  /** Bytes of the response body kept in `bodyExcerpt` (default 2048). */
  excerptBytes?: number;
}

export interface RunState {
  results: ScenarioResult[];
  /** Variables at the end of the run, per chain key. */
  vars: ChainVariables;
}

/** Scenarios with the same key run one after another and share variables. */
export function chainKey(s: Scenario): string {
  return s.chain ?? `#${s.id}`;
}

/** Of a passing answer only the excerpt is kept: this much more of it is redacted, so a secret cut by the excerpt's end is still found whole. */
const REDACTION_MARGIN = 64 * 1024;

/** What is kept of a request and its answer goes through this: the decoration's redactor, also hiding the values of credential-named variables (`{token}` saved from a login). */
function redactorOf(opts: Pick<RunOptions, 'decoration'>, vars?: Variables): Redactor {
  const base = opts.decoration?.redactor ?? Redactor.patterns;
  if (!vars) return base;
  const saved = Object.entries(vars)
    .filter(([name, v]) => isCredentialName(name) && (typeof v === 'string' || typeof v === 'number'))
    .map(([, v]) => String(v));
  return base.withSecrets(saved);
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);
const MAX_BODY = 1 << 20;

/** Run all scenarios; results come back in the order of `scenarios`. */
export async function runScenarios(baseUrl: string, scenarios: Scenario[], opts: RunOptions): Promise<ScenarioResult[]> {
  return (await runScenariosWithState(baseUrl, scenarios, opts)).results;
}

/**
 * Run one scenario alone (e.g. to pin a trace to its request), with the variables its chain had
 * (`runState.vars[chainKey(s)]`). Returns the result and the variables after it.
 */
export async function runScenario(
  baseUrl: string,
  scenario: Scenario,
  opts: Omit<RunOptions, 'concurrency' | 'vars'> & { vars?: Variables },
): Promise<{ result: ScenarioResult; vars: Variables }> {
  const key = chainKey(scenario);
  const state = await runScenariosWithState(baseUrl, [scenario], { ...opts, concurrency: 1, vars: { [key]: { ...(opts.vars ?? {}) } } });
  return { result: state.results[0], vars: state.vars[key] ?? {} };
}

class Slots {
  private free: number;
  private waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Like `runScenarios`, and also returns the variables each chain ended with. */
export async function runScenariosWithState(baseUrl: string, scenarios: Scenario[], opts: RunOptions): Promise<RunState> {
  const url = new URL(baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const pool = new Pool(url.origin, {
    connections: concurrency,
    pipelining: 1,
    // Below the idle time-outs servers close kept-alive connections after (gunicorn 2 s, uvicorn and
    // Node 5 s) when they send no Keep-Alive hint: reusing a connection the server is closing ends in
    // a reset that is not the app's failure.
    keepAliveTimeout: 1_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connectTimeout: Math.min(opts.timeoutMs, 10_000),
  });
  const slots = new Slots(concurrency);
  const results = new Array<ScenarioResult>(scenarios.length);
  const seed = opts.vars ?? {};
  const vars: ChainVariables = {};
  let done = 0;

  const groups = new Map<string, number[]>();
  scenarios.forEach((s, i) => {
    const key = chainKey(s);
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  });

  const finish = (i: number, r: ScenarioResult) => {
    results[i] = r;
    done++;
    opts.progress?.report(`${done}/${scenarios.length} ${r.method} ${r.path} → ${r.status || r.errorCode || 'skipped'}`, done / Math.max(1, scenarios.length));
    opts.onResult?.(r);
  };

  const runChain = async (key: string, indexes: number[]) => {
    indexes.sort((a, b) => scenarios[a].order - scenarios[b].order || a - b);
    const chainVars: Variables = { ...(seed[''] ?? {}), ...(seed[key] ?? {}) };
    vars[key] = chainVars;
    /** Which step of this chain saves a variable, and whether it has succeeded. */
    const savers = new Map<string, string>();
    for (const i of indexes) {
      const s = scenarios[i];
      const missing = placeholdersOf(s.request).filter((n) => !Object.hasOwn(chainVars, n));
      if (missing.length > 0) {
        finish(i, skippedResult(s, missing, savers, redactorOf(opts)));
        for (const name of Object.keys(s.save ?? {})) savers.set(name, s.name);
        continue;
      }
      if (opts.signal?.aborted) {
        finish(i, cancelledResult(s, fillRequest(s.request, chainVars).path, redactorOf(opts, chainVars)));
        continue;
      }
      const r = await runOne(pool, slots, basePath, s, chainVars, opts);
      for (const name of Object.keys(s.save ?? {})) savers.set(name, s.name);
      finish(i, r);
    }
  };

  try {
    await Promise.all([...groups].map(([key, idx]) => runChain(key, idx)));
  } finally {
    await pool.close().catch(() => undefined);
  }
  return { results, vars };
}

function baseResult(s: Scenario, resolvedPath: string, shown: Redactor): ScenarioResult {
  const now = Date.now();
  return {
    scenarioId: s.id,
    name: s.name,
    method: s.request.method.toUpperCase(),
    path: shown.text(s.request.path),
    resolvedPath: shown.text(resolvedPath),
    expectedStatus: s.expectStatus[0] ?? 200,
    status: 0,
    ok: false,
    durationMs: 0,
    startedAt: now,
    endedAt: now,
    bodyExcerpt: '',
    failures: [],
    attempts: 0,
  };
}

function skippedResult(s: Scenario, missing: string[], savers: Map<string, string>, shown: Redactor): ScenarioResult {
  const r = baseResult(s, s.request.path, shown);
  r.skipped = true;
  r.failures = missing.map((name) => {
    const by = savers.get(name);
    return by
      ? `skipped: variable {${name}} is not set because "${by}" did not save it`
      : `skipped: variable {${name}} is not set (no earlier step of the chain saves it)`;
  });
  return r;
}

function cancelledResult(s: Scenario, resolvedPath: string, shown: Redactor): ScenarioResult {
  const r = baseResult(s, resolvedPath, shown);
  r.errorCode = 'ABORTED';
  r.failures = ['the run was cancelled before this request'];
  return r;
}

function errorCodeOf(err: unknown, timedOut: boolean, cancelled: boolean): string {
  if (cancelled) return 'ABORTED';
  if (timedOut) return 'ETIMEDOUT';
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT') return 'ETIMEDOUT';
  const code = e?.cause?.code ?? e?.code;
  if (code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return code ?? e?.name ?? 'ERROR';
}

const CODE_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the app running?)',
  ECONNRESET: 'the connection was reset (socket hang up)',
  ETIMEDOUT: 'no response in time',
  ABORTED: 'the run was cancelled',
  ENOTFOUND: 'host not found',
};

/** Waits `ms`, or less when the signal aborts (it then resolves: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function statusWords(expected: number[]): string {
  return expected.length === 1 ? String(expected[0]) : `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}`;
}

async function runOne(pool: Pool, slots: Slots, basePath: string, s: Scenario, vars: Variables, opts: RunOptions): Promise<ScenarioResult> {
  const filled = fillRequest(s.request, vars);
  const sent = opts.decoration ? opts.decoration.decorate(filled, s.id) : filled;
  const shown = redactorOf(opts, vars);
  const r = baseResult(s, filled.path, shown);
  let payload: string | undefined;
  if (sent.body !== undefined) {
    if (typeof sent.body === 'string' && sent.headers['content-type'] && !sent.headers['content-type'].includes('json')) payload = sent.body;
    else {
      payload = JSON.stringify(sent.body);
      sent.headers['content-type'] ??= 'application/json';
    }
    // As written (`${env:NAME}` unfilled), credential-named fields and credentials by form hidden.
    r.requestBody = shown.value(filled.body);
  }
  const excerptBytes = opts.excerptBytes ?? 2048;
  const baseDelay = opts.retryDelayMs ?? 100;
  const maxAttempts = 1 + Math.max(0, opts.retries);

  /** Why each earlier attempt was tried again. */
  const retried: string[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) retried.push(`attempt ${attempt - 1}: ${r.status ? `status ${r.status}` : r.errorCode}`);
    r.attempts = attempt;
    r.failures = [];
    r.bodyTrace = undefined;
    r.errorCode = undefined;
    await slots.acquire();
    // The pool's headersTimeout/bodyTimeout bound each request; no per-request timer is needed.
    const signal = opts.signal;
    r.startedAt = Date.now();
    const t0 = performance.now();
    let text = '';
    let transient = false;
    try {
      const res = await pool.request({ path: basePath + sent.target, method: sent.method as 'GET', headers: sent.headers, body: payload, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        if (size < MAX_BODY) chunks.push(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      text = Buffer.concat(chunks).toString('utf8');
      r.status = res.statusCode;
      const ctype = String(res.headers['content-type'] ?? '');
      transient = TRANSIENT_STATUS.has(res.statusCode);
      judge(s, r, text, ctype, size > MAX_BODY, vars, shown);
      const kept = shown.text(r.ok && text.length > excerptBytes + REDACTION_MARGIN ? text.slice(0, excerptBytes + REDACTION_MARGIN) : text);
      r.bodyExcerpt = kept.length > excerptBytes ? `${kept.slice(0, excerptBytes)}…` : kept;
      // A server error whose body carries the stack (development error pages, JSON with a stack)
      // names its own request: no log window can be more certain.
      if (!r.ok && r.status >= 500) r.bodyTrace = traceFromResponseBody(kept, ctype);
    } catch (err) {
      r.status = 0;
      r.errorCode = errorCodeOf(err, false, !!opts.signal?.aborted);
      transient = TRANSIENT_CODES.has(r.errorCode);
      const words = CODE_WORDS[r.errorCode] ?? (err as Error)?.message ?? String(err);
      r.failures = [`no response: ${words} (${r.errorCode}${r.errorCode === 'ETIMEDOUT' ? ` after ${opts.timeoutMs} ms` : ''})`];
    } finally {
      r.durationMs = performance.now() - t0;
      r.endedAt = Date.now();
      slots.release();
    }
    if (!transient || attempt === maxAttempts || opts.signal?.aborted) break;
    await sleep(Math.min(2000, baseDelay * 2 ** (attempt - 1)), opts.signal);
  }
  // Only transient failures are retried (connection resets, 502/503/504); when the last answer is
  // not one of those, it is the app's answer, and the retry is only worth a note.
  if (r.attempts > 1 && r.failures.length > 0) {
    const lastTransient = r.status ? TRANSIENT_STATUS.has(r.status) : TRANSIENT_CODES.has(r.errorCode ?? '');
    r.failures.push(lastTransient ? `failed after ${r.attempts} attempts (${retried.join('; ')})` : `answered on attempt ${r.attempts} (${retried.join('; ')}, retried as transient)`);
  }
  r.failures = r.failures.map((f) => shown.text(f));
  return r;
}

/** Status, JSON expectations and saved variables; fills `r.ok` and `r.failures`. */
function judge(s: Scenario, r: ScenarioResult, text: string, ctype: string, truncated: boolean, vars: Variables, shown: Redactor): void {
  const failures: string[] = [];
  const statusOk = s.expectStatus.includes(r.status);
  if (!statusOk) failures.push(`expected status ${statusWords(s.expectStatus)}, got ${r.status}`);
  const needJson = (s.expectJson && Object.keys(s.expectJson).length > 0) || (s.save && Object.keys(s.save).length > 0);
  let json: unknown;
  let parsed = false;
  if (needJson && statusOk) {
    if (truncated) failures.push(`the response body is over ${MAX_BODY} bytes; JSON expectations were not checked`);
    else {
      try {
        json = JSON.parse(text);
        parsed = true;
      } catch {
        // Quoted from the redacted text: cutting first could leave half a token unrecognised.
        failures.push(`expected a JSON body, got ${ctype || 'no content type'}: ${JSON.stringify(shown.text(text.slice(0, 8192)).slice(0, 80))}`);
      }
    }
  }
  if (parsed && s.expectJson) failures.push(...checkJsonExpectations(json, s.expectJson));
  if (parsed && s.save) {
    for (const [name, path] of Object.entries(s.save)) {
      const got = getPath(json, path);
      if (got.found && got.value !== null && typeof got.value !== 'object') vars[name] = got.value;
      else failures.push(`could not save {${name}}: ${got.found ? `the value at "${path}" is not a single value` : `no value at "${path}" in the response body`}`);
    }
  }
  r.failures = failures;
  r.ok = failures.length === 0;
}
