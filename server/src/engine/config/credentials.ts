import type { Document, LineCounter } from 'yaml';
import { LocatedError } from '../model';
import { isCredentialName, Redactor } from '../redact';
import { formatPath, lookup, positionOf, type PathKey } from './locate';
import { ENV_REFERENCE, type ScenarioConfig, type SmokeConfig } from './schema';

/**
 * Credentials in `smoke-repair.yaml`: every place that holds one (the `smoke.auth` credential,
 * credential-named headers, query parameters and body fields, URL user info, values in a token
 * format), whether it is written into the file or read from the environment with `${env:NAME}`.
 * The values written literally are what the runs redact by value wherever they show up; each of
 * them also gets a warning where it stands, since the file usually sits in version control.
 */

export interface CredentialPlace {
  /** Where it stands in the configuration. */
  path: PathKey[];
  /** What stands there, `${env:NAME}` references unfilled. */
  value: string;
  /** The literal parts of the value that are secret (empty when it all comes from the environment or saved variables). */
  literal: string[];
  /** What kind of credential, in words: `the smoke.auth credential`, `a credential-named header`. */
  what: string;
}

/** `{name}`: a variable saved by an earlier step, filled at run time. */
const SAVED = /\{[A-Za-z_][A-Za-z0-9_]*\}/g;
/** An auth scheme before the credential: `Bearer `, `Basic `. */
const SCHEME = /^\s*(?:Bearer|Basic|Token|Digest|ApiKey)\s+/i;

/** The secret parts of a value as written: what is left without `${env:…}`, `{saved}` and an auth scheme. */
function literalParts(value: string): string[] {
  if (new RegExp(ENV_REFERENCE.source).test(value) || value.replace(SAVED, '').trim() === '') return [];
  const rest = value.replace(SCHEME, '').trim();
  return rest ? [...new Set([value.trim(), rest])] : [];
}

/** `a=1&api_key=x` → the credential-named parameters of a query string. */
function queryPairs(query: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let name = part.slice(0, eq);
    let value = part.slice(eq + 1);
    try {
      name = decodeURIComponent(name);
      value = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      // Keep a malformed escape as written.
    }
    out.push([name, value]);
  }
  return out;
}

/** The password (or token) in a URL's user info. */
function userInfoSecret(url: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#@\s]+)@/.exec(url);
  if (!m) return undefined;
  const info = m[1]!;
  const colon = info.indexOf(':');
  const secret = colon >= 0 ? info.slice(colon + 1) : info;
  return secret || undefined;
}

/** Strings under credential-named keys of a request body, with their paths. */
function bodyCredentials(value: unknown, path: PathKey[], hidden: boolean, out: Array<{ path: PathKey[]; value: string }>, depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string' || typeof value === 'number') {
    if (hidden) out.push({ path, value: String(value) });
  } else if (Array.isArray(value)) value.forEach((x, i) => bodyCredentials(x, [...path, i], hidden, out, depth + 1));
  else if (value && typeof value === 'object') {
    for (const [k, x] of Object.entries(value)) bodyCredentials(x, [...path, k], hidden || isCredentialName(k), out, depth + 1);
  }
}

/** Every string of a scenario's request (path, header and query values, strings of the body), with where it stands. */
export function requestStrings(request: ScenarioConfig['request'], at: PathKey[]): Array<{ path: PathKey[]; value: string }> {
  const out: Array<{ path: PathKey[]; value: string }> = [{ path: [...at, 'path'], value: request.path }];
  for (const [k, v] of Object.entries(request.headers ?? {})) out.push({ path: [...at, 'headers', k], value: v });
  for (const [k, v] of Object.entries(request.query ?? {})) out.push({ path: [...at, 'query', k], value: String(v) });
  const walk = (v: unknown, p: PathKey[], depth: number) => {
    if (depth > 32) return;
    if (typeof v === 'string') out.push({ path: p, value: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i], depth + 1));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k], depth + 1);
  };
  walk(request.body, [...at, 'body'], 0);
  return out;
}

export function credentialPlaces(config: Pick<SmokeConfig, 'app' | 'smoke' | 'scenarios'> & Partial<Pick<SmokeConfig, 'llm' | 'openapi'>>): CredentialPlace[] {
  const out: CredentialPlace[] = [];
  const add = (path: PathKey[], value: string, what: string, literal = literalParts(value)) => out.push({ path, value, literal, what });

  const auth = config.smoke?.auth;
  if (auth?.bearer !== undefined) add(['smoke', 'auth', 'bearer'], auth.bearer, 'the smoke.auth credential');
  if (auth?.basic) add(['smoke', 'auth', 'basic', 'password'], auth.basic.password, 'the smoke.auth password');
  if (auth?.apiKey) add(['smoke', 'auth', 'apiKey', 'value'], auth.apiKey.value, 'the smoke.auth API key');
  for (const [section, label] of [['headers', 'header'], ['query', 'query parameter']] as const) {
    for (const [name, value] of Object.entries(config.smoke?.[section] ?? {})) {
      if (isCredentialName(name)) add(['smoke', section, name], String(value), `a credential-named ${label}`);
    }
  }

  for (const [url, path] of [
    [config.app?.baseUrl, ['app', 'baseUrl']],
    [config.llm?.baseUrl, ['llm', 'baseUrl']],
    [config.openapi?.location, ['openapi', 'location']],
  ] as const) {
    const secret = url ? userInfoSecret(url) : undefined;
    if (secret) add([...path], url!, 'a password in the URL', literalParts(secret).length ? [secret] : []);
  }

  (config.scenarios ?? []).forEach((s, i) => {
    const at = (...p: PathKey[]): PathKey[] => ['scenarios', i, 'request', ...p];
    const req = s.request;
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      if (!isCredentialName(name)) continue;
      const cookies = /cookie/i.test(name) ? queryPairs(value.replace(/;\s*/g, '&')).map(([, v]) => v) : [];
      const literal = literalParts(value);
      add(at('headers', name), value, 'a credential-named header', literal.length ? [...literal, ...cookies.flatMap(literalParts)] : []);
    }
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (isCredentialName(name)) add(at('query', name), String(value), 'a credential-named query parameter');
    }
    const q = req.path.indexOf('?');
    if (q >= 0) {
      for (const [name, value] of queryPairs(req.path.slice(q + 1))) {
        if (isCredentialName(name)) add(at('path'), value, `the credential-named query parameter ${name} in the path`);
      }
    }
    const fields: Array<{ path: PathKey[]; value: string }> = [];
    bodyCredentials(req.body, at('body'), false, fields);
    for (const f of fields) add(f.path, f.value, 'a credential-named body field');
    // Anything else of the request that has a token's form (a JWT, a cloud access key, ...).
    for (const v of requestStrings(req, at())) {
      if (out.some((o) => o.value === v.value)) continue;
      if (Redactor.patterns.code(v.value) !== v.value) add(v.path, v.value, 'a value in the form of a token or key');
    }
  });
  return out;
}

/** The literal secrets of a configuration: values a run redacts wherever they show up. */
export function literalSecrets(config: Parameters<typeof credentialPlaces>[0]): string[] {
  return [...new Set(credentialPlaces(config).flatMap((p) => p.literal))];
}

/**
 * A warning, where it stands, for each credential written into the file. The message names the
 * place and never the value.
 */
export function literalCredentialWarnings(config: SmokeConfig, doc: Document, lines: LineCounter, file: string): LocatedError[] {
  return credentialPlaces(config)
    .filter((p) => p.literal.length > 0)
    .map((p) => {
      const pos = positionOf(lookup(doc, p.path).node, lines);
      return new LocatedError(
        `${formatPath(p.path)} holds ${p.what} written into the file`,
        file,
        pos.line,
        pos.column,
        'read it from the environment instead: write "${env:NAME}" here and set NAME where Smoke Repair runs (this file usually sits in version control)',
      );
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
