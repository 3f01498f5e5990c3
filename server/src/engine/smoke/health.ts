import { request } from 'undici';
import { EnvironmentError } from '../model';

/**
 * Waiting for the app: poll its health probe until it answers. A configured `app.health` path must
 * answer 2xx; without one, any HTTP answer from the base URL means the app is up (most apps have no
 * health endpoint, and a 404 from `/` still says a server is listening).
 */

export interface HealthProbe {
  /** URL path under the base URL. */
  path: string;
  /** Any HTTP status counts as up (the default probe); otherwise only 2xx. */
  anyAnswer: boolean;
}

/** The probe the configuration asks for: `app.health` when set, else any answer from the base URL. */
export function healthProbe(app: { health?: string }): HealthProbe {
  return app.health ? { path: app.health, anyAnswer: false } : { path: '/', anyAnswer: true };
}

/** How the probe reads in messages: `GET /health → 2xx` or `GET / → any answer`. */
export function describeProbe(probe: HealthProbe | string): string {
  const p = asProbe(probe);
  return `GET ${p.path} → ${p.anyAnswer ? 'any HTTP answer' : '2xx'}`;
}

function asProbe(probe: HealthProbe | string): HealthProbe {
  return typeof probe === 'string' ? { path: probe, anyAnswer: false } : probe;
}

function probeUrl(baseUrl: string, p: HealthProbe): URL {
  return new URL(baseUrl.replace(/\/+$/, '') + (p.path.startsWith('/') ? p.path : `/${p.path}`));
}

function answers(p: HealthProbe, status: number): boolean {
  return p.anyAnswer || (status >= 200 && status < 300);
}

/** The app did not answer its probe in time (it may still be running). */
export class AppNotAnswering extends EnvironmentError {
  constructor(message: string, remedy: string) {
    super(message, remedy);
    this.name = 'AppNotAnswering';
  }
}

export interface HealthOptions {
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
}

/**
 * Resolves with the number of attempts when the probe answers (a path: 2xx); throws EnvironmentError
 * after `timeoutMs`.
 */
export async function waitForHealth(
  baseUrl: string,
  probe: HealthProbe | string,
  timeoutMs: number,
  signal?: AbortSignal,
  options: HealthOptions = {},
): Promise<number> {
  const p = asProbe(probe);
  const url = probeUrl(baseUrl, p);
  const interval = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last = 'no attempt was made';
  for (;;) {
    if (signal?.aborted) throw new EnvironmentError(`waiting for ${url} was stopped`, 'start the smoke run again');
    attempts++;
    const left = Math.max(1, deadline - Date.now());
    try {
      const t = AbortSignal.timeout(Math.min(left, 5000));
      const res = await request(url, { method: 'GET', signal: signal ? AbortSignal.any([signal, t]) : t });
      await res.body.dump();
      if (answers(p, res.statusCode)) return attempts;
      last = `it answered ${res.statusCode}`;
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
      const code = e.cause?.code ?? e.code ?? e.name;
      last = code === 'ECONNREFUSED' ? 'nothing listens there (connection refused)' : `the request failed (${code ?? e.message})`;
    }
    if (Date.now() + interval > deadline) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new AppNotAnswering(
    `the app did not answer ${p.anyAnswer ? '' : '2xx '}at ${url} within ${Math.round(timeoutMs / 100) / 10} s (${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${last})`,
    `start the app (e.g. \`docker compose up -d\`) and check that app.baseUrl${p.anyAnswer ? '' : ' and app.health'} in smoke-repair.yaml point at it; raise app.healthTimeoutMs if it starts slowly`,
  );
}

/** One quick probe: does the app answer right now (a path: 2xx)? */
export async function isHealthy(baseUrl: string, probe: HealthProbe | string, timeoutMs = 2000): Promise<boolean> {
  try {
    const p = asProbe(probe);
    const res = await request(probeUrl(baseUrl, p), { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return answers(p, res.statusCode);
  } catch {
    return false;
  }
}
