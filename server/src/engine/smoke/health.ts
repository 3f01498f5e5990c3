import { request } from 'undici';
import { EnvironmentError } from '../model';

/**
 * Waiting for the app: poll its health path until it answers 2xx.
 */

export interface HealthOptions {
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
}

/** Resolves with the number of attempts when `baseUrl + path` answers 2xx; throws EnvironmentError after `timeoutMs`. */
export async function waitForHealth(baseUrl: string, path: string, timeoutMs: number, signal?: AbortSignal, options: HealthOptions = {}): Promise<number> {
  const url = new URL(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
  const interval = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last = 'no attempt was made';
  for (;;) {
    if (signal?.aborted) throw new EnvironmentError(`waiting for ${url} was cancelled`, 'start the smoke run again');
    attempts++;
    const left = Math.max(1, deadline - Date.now());
    try {
      const t = AbortSignal.timeout(Math.min(left, 5000));
      const res = await request(url, { method: 'GET', signal: signal ? AbortSignal.any([signal, t]) : t });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return attempts;
      last = `it answered ${res.statusCode}`;
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
      const code = e.cause?.code ?? e.code ?? e.name;
      last = code === 'ECONNREFUSED' ? 'nothing listens there (connection refused)' : `the request failed (${code ?? e.message})`;
    }
    if (Date.now() + interval > deadline) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new EnvironmentError(
    `the app did not answer 2xx at ${url} within ${Math.round(timeoutMs / 100) / 10} s (${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${last})`,
    `start the app (e.g. \`docker compose up -d\`) and check that app.baseUrl and app.health in smoke-repair.yaml point at it; raise app.healthTimeoutMs if it starts slowly`,
  );
}

/** One quick probe: does `baseUrl + path` answer 2xx right now? */
export async function isHealthy(baseUrl: string, path: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const url = new URL(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
    const res = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300;
  } catch {
    return false;
  }
}
