import { knownValuesReplacer, redactPrivateKeys, redactSchemeTokens, redactTokens, redactUserInfo, REDACTED } from './formats';
import { isCredentialName } from './names';
import { redactPairs } from './pairs';

/**
 * Redaction: what the app under test says (responses, logs, traces) and what a scenario sends
 * (paths, bodies) pass through a Redactor where they enter the engine, so that nothing the engine
 * shows, stores or sends elsewhere holds a secret. The runner still sends the real values.
 *
 * A Redactor knows the run's own secrets (the configured credential, `${env:NAME}` values,
 * credentials written into scenarios) and finds the rest by name and by form:
 *  - the values of credential-named pairs in any notation (`api_key=…`, `Authorization: …`,
 *    `"password": "…"`, `{'SECRET_KEY': '…'}`): see ./pairs.ts and ./names.ts;
 *  - private-key blocks, URL user info, JWTs, cloud access keys and provider tokens, and the token
 *    after `Bearer`: see ./formats.ts.
 * Each becomes `[redacted]`, keeping the shape around it (`api_key=[redacted]`,
 * `Bearer [redacted]`, `https://user:[redacted]@host`). Redaction never throws, is idempotent and
 * takes time linear in the text (test/unit/redact-fuzz.test.ts).
 */

export { REDACTED } from './formats';
export { isCredentialName } from './names';

/** Shorter values are not searched for: replacing every "ab" in a log would hide the log, not the secret. */
export const MIN_SECRET_LENGTH = 4;

/** How a value may appear in text: as written, URL-encoded (path, query), form-encoded, JSON-escaped. */
function writtenForms(value: string): string[] {
  const forms = new Set([value, new URLSearchParams({ v: value }).toString().slice(2), JSON.stringify(value).slice(1, -1)]);
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate has no URL encoding: it cannot stand in a URL either.
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Deeper structures than this are redacted whole. */
const MAX_DEPTH = 64;

export class Redactor {
  /** Knows no secret of its own: finds credentials by name and form only. */
  static readonly patterns = new Redactor([]);

  readonly #secrets: readonly string[];
  readonly #known: ((s: string) => string) | undefined;

  /** `secrets`: values to hide wherever they appear, in the forms they are written in. */
  constructor(secrets: Iterable<string> = []) {
    const values = [...new Set(secrets)].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
    this.#secrets = values;
    this.#known = knownValuesReplacer(values.flatMap(writtenForms));
  }

  /** This redactor with more values to hide (itself when there are none). */
  withSecrets(more: Iterable<string>): Redactor {
    const extra = [...more].filter((s) => s.length >= MIN_SECRET_LENGTH && !this.#secrets.includes(s));
    return extra.length ? new Redactor([...this.#secrets, ...extra]) : this;
  }

  /**
   * Free text the app or a request produced (log lines, response bodies, messages, paths with
   * their query): known secrets, credential formats, and credential-named values.
   */
  text(s: string): string {
    if (typeof s !== 'string' || s.length === 0) return s;
    return redactSchemeTokens(redactPairs(this.#forms(s)));
  }

  /**
   * Text that is code or prose (source excerpts, a prompt): known secrets and credential formats,
   * but not values by their name, so `token=request.args["token"]` stays readable.
   */
  code(s: string): string {
    if (typeof s !== 'string' || s.length === 0) return s;
    return redactSchemeTokens(this.#forms(s));
  }

  /** Private keys, known values, URL user info and token formats. */
  #forms(s: string): string {
    const out = redactPrivateKeys(s);
    return redactTokens(redactUserInfo(this.#known ? this.#known(out) : out));
  }

  /** Log lines, redacted together (a private-key block spans lines), one output line per input line. */
  lines(lines: readonly string[]): string[] {
    if (lines.length === 0) return [];
    const out = this.text(lines.join('\n')).split('\n');
    return out.length === lines.length ? out : lines.map((l) => this.text(l));
  }

  /**
   * A JSON-like value (a request body): every string is redacted as text, and everything under a
   * credential-named key (`password`, `apiKey`, `auth`) becomes the marker; numbers there too,
   * booleans and null stay.
   */
  value<T>(v: T): T {
    return this.#value(v, false, 0) as T;
  }

  #value(v: unknown, hidden: boolean, depth: number): unknown {
    if (typeof v === 'string') return hidden && v !== '' ? REDACTED : this.text(v);
    if (typeof v === 'number' || typeof v === 'bigint') return hidden ? REDACTED : v;
    if (v === null || typeof v !== 'object') return v;
    if (depth >= MAX_DEPTH) return REDACTED;
    if (Array.isArray(v)) return v.map((x) => this.#value(x, hidden, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = this.#value(x, hidden || isCredentialName(k), depth + 1);
    return out;
  }

  /** Serialised or printed, a redactor says how many values it knows, never which. */
  toJSON(): { redactor: string } {
    return { redactor: `${this.#secrets.length} known value(s)` };
  }
}
