import { inspect } from 'node:util';
import { LineCounter, parseDocument } from 'yaml';
import { literalSecrets, requestStrings } from '../config/credentials';
import { ENV_REFERENCE, type ScenarioConfig, type SmokeConfig } from '../config/schema';
import { formatPath, lookup, positionOf, type PathKey } from '../config/locate';
import { LocatedError } from '../model';
import { Redactor } from '../redact';
import type { FilledRequest } from './variables';

/**
 * What every request of a run carries besides its own headers and query: `smoke.headers`,
 * `smoke.query` and the `smoke.auth` credential, with `${env:NAME}` read from the environment.
 *
 * Secrets stay out of scenarios: a Scenario (reported, recorded, shown in the editor) holds only
 * its own request, with `${env:NAME}` references as written; the runner adds the decoration and
 * fills the references at send time. The decoration keeps its values in private fields, serialises
 * and prints as a summary of names, and carries the run's Redactor, which knows every configured
 * secret, for what the runner keeps of a request and its answer.
 */

export type CredentialKind = 'bearer' | 'basic' | 'apiKey';

/** Where a credential goes: a header, a query parameter or a cookie, by name. */
export interface CredentialPlacement {
  in: 'header' | 'query' | 'cookie';
  name: string;
}

/** What the configuration supplies, by name only: all that deriving scenarios may know of it. */
export interface SuppliedNames {
  /** The kind of `smoke.auth`, when there is one. */
  auth?: CredentialKind;
  /** Where `smoke.auth` goes when an operation's security scheme does not say. */
  authAt?: CredentialPlacement;
  /** Header names of `smoke.headers`, lower-case. */
  headers: string[];
  /** Parameter names of `smoke.query`. */
  query: string[];
}

type SmokeSettings = Pick<SmokeConfig['smoke'], 'headers' | 'query' | 'auth'>;

const AUTHORIZATION: CredentialPlacement = { in: 'header', name: 'authorization' };

function defaultPlacement(auth: NonNullable<SmokeSettings['auth']>): CredentialPlacement {
  const key = auth.apiKey;
  if (!key) return AUTHORIZATION;
  if (key.header !== undefined) return { in: 'header', name: key.header.toLowerCase() };
  if (key.query !== undefined) return { in: 'query', name: key.query };
  return { in: 'cookie', name: key.cookie! };
}

/** The names the configuration supplies (no values are read, so this never fails). */
export function suppliedNames(smoke: Partial<SmokeSettings>): SuppliedNames {
  const auth = smoke.auth;
  return {
    ...(auth ? { auth: auth.bearer !== undefined ? 'bearer' : auth.basic ? 'basic' : 'apiKey', authAt: defaultPlacement(auth) } : {}),
    headers: Object.keys(smoke.headers ?? {}).map((h) => h.toLowerCase()),
    query: Object.keys(smoke.query ?? {}),
  };
}

/** The configuration's values with `${env:NAME}` filled in; `secrets` are the values never to show. */
export interface ResolvedSettings {
  headers: Record<string, string>;
  query: Record<string, string>;
  credential?: { kind: CredentialKind; at: CredentialPlacement; value: string };
  secrets: string[];
}

export type Resolution = { ok: true; settings: ResolvedSettings } | { ok: false; errors: LocatedError[]; secrets: string[] };

/** Where a path of the configuration file stands (1:1 without the file's text); reads the text once, when first asked. */
function locator(source: { file: string; text?: string }): (p: PathKey[]) => { line: number; column: number } {
  let located: ((p: PathKey[]) => { line: number; column: number }) | undefined;
  return (p) => {
    if (!located) {
      const lines = new LineCounter();
      const doc = source.text !== undefined ? parseDocument(source.text, { lineCounter: lines }) : undefined;
      located = (q) => (doc ? positionOf(lookup(doc, q).node, lines) : { line: 1, column: 1 });
    }
    return located(p);
  };
}

/** The error of an unset `${env:NAME}`, at the value that refers to it. */
function unsetVariable(name: string, p: PathKey[], source: { file: string }, where: (p: PathKey[]) => { line: number; column: number }): LocatedError {
  const at = where(p);
  return new LocatedError(
    `${formatPath(p)}: the environment variable ${name} is not set`,
    source.file,
    at.line,
    at.column,
    `set ${name} in the environment Smoke Repair runs in (the shell for the command line, the editor's environment for VS Code), or write the value here`,
  );
}

/**
 * Fill `${env:NAME}` in `smoke.headers`, `smoke.query` and `smoke.auth` from `env`. A variable that
 * is not set is an error located at its value in the configuration file (`source`), naming it.
 */
export function resolveSettings(
  smoke: Partial<SmokeSettings>,
  source: { file: string; text?: string },
  env: Record<string, string | undefined> = process.env,
): Resolution {
  const errors: LocatedError[] = [];
  const secrets = new Set<string>();
  const where = locator(source);
  /** One value; `secret` marks values of the credential, which are hidden even when written literally. */
  const fill = (text: string, p: PathKey[], secret: boolean, header: boolean): string => {
    let fromEnv = false;
    const out = text.replace(new RegExp(ENV_REFERENCE.source, 'g'), (_whole, name: string) => {
      const value = env[name];
      if (value === undefined) {
        errors.push(unsetVariable(name, p, source, where));
        return '';
      }
      fromEnv = true;
      if (value) secrets.add(value);
      return value;
    });
    if (header && /[\r\n\0]/.test(out)) {
      const at = where(p);
      errors.push(new LocatedError(`${formatPath(p)}: the value holds a line break or NUL, which a header cannot carry`, source.file, at.line, at.column));
    }
    if ((secret || fromEnv) && out) secrets.add(out);
    return out;
  };

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(smoke.headers ?? {})) headers[name.toLowerCase()] = fill(value, ['smoke', 'headers', name], false, true);
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(smoke.query ?? {})) query[name] = fill(value, ['smoke', 'query', name], false, false);

  let credential: ResolvedSettings['credential'];
  const auth = smoke.auth;
  if (auth) {
    const at = defaultPlacement(auth);
    if (auth.bearer !== undefined) {
      credential = { kind: 'bearer', at, value: fill(auth.bearer, ['smoke', 'auth', 'bearer'], true, true) };
    } else if (auth.basic) {
      const username = fill(auth.basic.username, ['smoke', 'auth', 'basic', 'username'], false, true);
      const password = fill(auth.basic.password, ['smoke', 'auth', 'basic', 'password'], true, true);
      const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      secrets.add(encoded);
      credential = { kind: 'basic', at, value: encoded };
    } else if (auth.apiKey) {
      credential = { kind: 'apiKey', at, value: fill(auth.apiKey.value, ['smoke', 'auth', 'apiKey', 'value'], true, at.in === 'header') };
    }
  }
  if (errors.length > 0) return { ok: false, errors, secrets: [...secrets] };
  return { ok: true, settings: { headers, query, ...(credential ? { credential } : {}), secrets: [...secrets] } };
}

/** `${env:NAME}`, as written, or as a query string encodes it (`%24%7Benv%3ANAME%7D`). */
const ENV_IN_TARGET = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|%24%7Benv%3A([A-Za-z_][A-Za-z0-9_]*)%7D/gi;
const ENV_IN_TEXT = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The environment variables scenarios refer to (`${env:NAME}` in a request's path, headers, query
 * or body), read from `env`. A variable that is not set is an error located at its value.
 */
export function scenarioEnvironment(
  scenarios: readonly ScenarioConfig[],
  source: { file: string; text?: string },
  env: Record<string, string | undefined> = process.env,
): { values: Map<string, string>; errors: LocatedError[] } {
  const values = new Map<string, string>();
  const errors: LocatedError[] = [];
  const where = locator(source);
  scenarios.forEach((s, i) => {
    for (const { value: text, path } of requestStrings(s.request, ['scenarios', i, 'request'])) {
      if (!text.includes('${env:')) continue;
      for (const m of text.matchAll(ENV_IN_TEXT)) {
        const value = env[m[1]];
        if (value === undefined) errors.push(unsetVariable(m[1], path, source, where));
        else values.set(m[1], value);
      }
    }
  });
  return { values, errors };
}

/**
 * The Redactor of a configuration's runs: it knows every secret the configuration supplies, from
 * the environment (`smoke.*` and scenario references) or written into the file. Unset variables are
 * left out (the run reports them).
 */
export function redactorFor(config: Pick<SmokeConfig, 'app' | 'smoke' | 'scenarios'> & Partial<Pick<SmokeConfig, 'llm' | 'openapi'>>, env: Record<string, string | undefined> = process.env): Redactor {
  const settings = resolveSettings(config.smoke ?? {}, { file: '' }, env);
  return new Redactor([
    ...(settings.ok ? settings.settings.secrets : settings.secrets),
    ...scenarioEnvironment(config.scenarios ?? [], { file: '' }, env).values.values(),
    ...literalSecrets(config),
  ]);
}

/** `a=1; b=2` → [[a, "1"], [b, "2"]]; a part without `=` keeps no value. */
function cookiePairs(header: string | undefined): Array<[string, string | undefined]> {
  if (!header) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part): [string, string | undefined] => {
      const eq = part.indexOf('=');
      return eq < 0 ? [part, undefined] : [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    });
}

export class RequestDecoration {
  /** A decoration that adds nothing. */
  static readonly none = new RequestDecoration({ headers: {}, query: {}, secrets: [] });

  readonly #settings: ResolvedSettings;
  readonly #placements: ReadonlyMap<string, CredentialPlacement[]>;
  readonly #env: ReadonlyMap<string, string>;
  /** Hides the configured secrets (and credentials by name and form) in what is kept of a request and its answer. */
  readonly redactor: Redactor;

  /**
   * `placements`: for a scenario id, where its operation's security scheme puts the credential
   * (an apiKey scheme's header, query parameter or cookie); scenarios without an entry get it at
   * the place `smoke.auth` names. `env`: the values of the `${env:NAME}` references of scenarios
   * (scenarioEnvironment). `redactor`: the run's (redactorFor); by default one that knows the
   * settings' secrets.
   */
  constructor(
    settings: ResolvedSettings,
    placements: ReadonlyMap<string, CredentialPlacement[]> = new Map(),
    options: { env?: ReadonlyMap<string, string>; redactor?: Redactor } = {},
  ) {
    this.#settings = settings;
    this.#placements = placements;
    this.#env = options.env ?? new Map();
    this.redactor = options.redactor ?? new Redactor([...settings.secrets, ...this.#env.values()]);
  }

  /** True when the decoration adds nothing to a request. */
  get isEmpty(): boolean {
    const s = this.#settings;
    return !s.credential && Object.keys(s.headers).length === 0 && Object.keys(s.query).length === 0 && this.#env.size === 0;
  }

  /** `${env:NAME}` references of the request filled in: URL-encoded in the target, as they are in headers and body. */
  #fillEnvironment(request: FilledRequest): FilledRequest {
    if (this.#env.size === 0) return request;
    const value = (name: string) => this.#env.get(name);
    const text = (t: string) => (t.includes('${env:') ? t.replace(ENV_IN_TEXT, (whole, name: string) => value(name) ?? whole) : t);
    const body = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return text(v);
      if (depth > 32 || v === null || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v.map((x) => body(x, depth + 1));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, body(x, depth + 1)]));
    };
    const target = request.target.replace(ENV_IN_TARGET, (whole, a: string | undefined, b: string | undefined) => {
      const v = value((a ?? b)!);
      return v === undefined ? whole : encodeURIComponent(v);
    });
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, text(v)]));
    return { ...request, target, headers, ...(request.body !== undefined ? { body: body(request.body, 0) } : {}) };
  }

  /**
   * The request as sent: the configured headers and query parameters and the credential added,
   * the request's own headers and query parameters winning over them (cookies merge by name).
   * Returns a new request; `request` is not changed.
   */
  decorate(filled: FilledRequest, scenarioId?: string): FilledRequest {
    if (this.isEmpty) return filled;
    const request = this.#fillEnvironment(filled);
    const { headers: configured, query: configuredQuery, credential } = this.#settings;
    const added: Record<string, string> = { ...configured };
    const addedQuery: Record<string, string> = { ...configuredQuery };
    const addedCookies: Array<[string, string | undefined]> = [];
    if (credential) {
      const places = (scenarioId !== undefined ? this.#placements.get(scenarioId) : undefined) ?? [credential.at];
      for (const at of places) {
        const value = at.in === 'header' && at.name.toLowerCase() === 'authorization' ? this.#authorization(credential) : credential.value;
        if (at.in === 'header') added[at.name.toLowerCase()] = value;
        else if (at.in === 'query') addedQuery[at.name] = value;
        else addedCookies.push([at.name, value]);
      }
    }
    const headers: Record<string, string> = { ...added, ...request.headers };
    const cookies = new Map<string, string | undefined>([...cookiePairs(configured.cookie), ...addedCookies, ...cookiePairs(request.headers.cookie)]);
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('; ');

    const q = request.target.indexOf('?');
    const path = q < 0 ? request.target : request.target.slice(0, q);
    const own = new URLSearchParams(q < 0 ? '' : request.target.slice(q + 1));
    const extra = new URLSearchParams();
    for (const [k, v] of Object.entries(addedQuery)) if (!own.has(k)) extra.append(k, v);
    const parts = [q < 0 ? '' : request.target.slice(q + 1), extra.toString()].filter(Boolean);
    const target = parts.length ? `${path}?${parts.join('&')}` : path;
    return { ...request, headers, target };
  }

  #authorization(credential: NonNullable<ResolvedSettings['credential']>): string {
    if (credential.kind === 'bearer') return `Bearer ${credential.value}`;
    if (credential.kind === 'basic') return `Basic ${credential.value}`;
    return credential.value;
  }

  /** `text` as it may be kept: every secret (as written, URL-, form- or JSON-encoded) and credential replaced by `[redacted]`. */
  redact(text: string): string {
    return this.redactor.text(text);
  }

  /** What the decoration adds, by name only: `headers x-tenant; query api-version; bearer token in authorization`. */
  describe(): string {
    const s = this.#settings;
    const parts: string[] = [];
    if (Object.keys(s.headers).length) parts.push(`headers ${Object.keys(s.headers).join(', ')}`);
    if (Object.keys(s.query).length) parts.push(`query ${Object.keys(s.query).join(', ')}`);
    if (s.credential) parts.push(`${s.credential.kind === 'apiKey' ? 'API key' : `${s.credential.kind} credential`} in ${s.credential.at.in} ${s.credential.at.name}`);
    return parts.join('; ') || 'nothing';
  }

  /** Serialised (records, reports, JSON output), a decoration is its description: never its values. */
  toJSON(): { decoration: string } {
    return { decoration: this.describe() };
  }

  [inspect.custom](): string {
    return `RequestDecoration(${this.describe()})`;
  }
}
