import { z } from 'zod';
import type { CredentialPlacement, SuppliedNames } from './decorate';

/**
 * OpenAPI security requirements (`security` on the document or the operation, schemes under
 * `components.securitySchemes`) against what the configuration supplies: whether an operation can
 * be called, and where `smoke.auth` goes for it (an apiKey scheme names its header, query parameter
 * or cookie). Only names are compared here; values stay in the RequestDecoration.
 */

export type SecurityOutcome =
  | {
      ok: true;
      /** Where the credential goes for this operation; absent: where `smoke.auth` says. */
      at?: CredentialPlacement[];
    }
  | { ok: false; reason: string };

const requirementsSchema = z.array(z.record(z.string(), z.unknown()));
const schemeSchema = z.looseObject({
  type: z.string(),
  scheme: z.string().optional(),
  in: z.string().optional(),
  name: z.string().optional(),
});
type Scheme = z.infer<typeof schemeSchema>;

type SchemeCheck = { ok: true; at?: CredentialPlacement } | { ok: false; need: string; remedy: string };

const AUTHORIZATION: CredentialPlacement = { in: 'header', name: 'authorization' };
const TOKEN = '"${env:API_TOKEN}"';

function check(name: string, raw: unknown, supplied: SuppliedNames): SchemeCheck {
  const parsed = schemeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, need: `the security scheme "${name}", which the document does not define`, remedy: 'define it under components.securitySchemes' };
  const s: Scheme = parsed.data;
  const type = s.type.toLowerCase();
  const header = (h: string) => supplied.headers.includes(h.toLowerCase());
  const named = `(security scheme "${name}")`;
  if (type === 'http' || type === 'basic') {
    const kind = (type === 'basic' ? 'basic' : (s.scheme ?? '')).toLowerCase();
    if (header('authorization')) return { ok: true };
    if (kind === 'bearer') {
      return supplied.auth === 'bearer' ? { ok: true, at: AUTHORIZATION } : { ok: false, need: `an HTTP bearer token ${named}`, remedy: `smoke.auth: { bearer: ${TOKEN} }` };
    }
    if (kind === 'basic') {
      return supplied.auth === 'basic'
        ? { ok: true, at: AUTHORIZATION }
        : { ok: false, need: `HTTP basic credentials ${named}`, remedy: 'smoke.auth: { basic: { username: ..., password: "${env:API_PASSWORD}" } }' };
    }
    return { ok: false, need: `HTTP ${s.scheme ?? ''} authentication ${named}`.replace('  ', ' '), remedy: 'smoke.headers: { Authorization: ... }' };
  }
  if (type === 'apikey') {
    const where = (s.in ?? 'header').toLowerCase();
    const key = s.name ?? '';
    const remedyPlace = where === 'query' ? `query: ${key}` : where === 'cookie' ? `cookie: ${key}` : `header: ${key}`;
    const need = `an API key in the ${where === 'query' ? 'query parameter' : where} ${key} ${named}`;
    const remedy = `smoke.auth: { apiKey: { ${remedyPlace}, value: "\${env:API_KEY}" } }`;
    if (where === 'query') {
      if (supplied.query.includes(key)) return { ok: true };
      return supplied.auth === 'apiKey' ? { ok: true, at: { in: 'query', name: key } } : { ok: false, need, remedy };
    }
    if (where === 'cookie') {
      if (header('cookie')) return { ok: true };
      return supplied.auth === 'apiKey' ? { ok: true, at: { in: 'cookie', name: key } } : { ok: false, need, remedy };
    }
    if (header(key)) return { ok: true };
    if (supplied.auth === 'apiKey') return { ok: true, at: { in: 'header', name: key.toLowerCase() } };
    // Swagger 2.0 documents often describe a JWT as an apiKey named Authorization.
    if (key.toLowerCase() === 'authorization') {
      if (supplied.auth === 'bearer') return { ok: true, at: AUTHORIZATION };
      return { ok: false, need: `a token in the Authorization header ${named}`, remedy: `smoke.auth: { bearer: ${TOKEN} } (or apiKey: { header: Authorization, value: ... } for another scheme than Bearer)` };
    }
    return { ok: false, need, remedy };
  }
  if (type === 'oauth2' || type === 'openidconnect') {
    if (header('authorization')) return { ok: true };
    if (supplied.auth === 'bearer') return { ok: true, at: AUTHORIZATION };
    return { ok: false, need: `an ${type === 'oauth2' ? 'OAuth2' : 'OpenID Connect'} access token ${named}`, remedy: `smoke.auth: { bearer: ${TOKEN} } with a token the app accepts` };
  }
  if (type === 'mutualtls') return { ok: false, need: `a client certificate ${named}`, remedy: 'a scenario in smoke-repair.yaml cannot send one either: exclude the operation' };
  return { ok: false, need: `the "${s.type}" security scheme "${name}"`, remedy: 'smoke.headers with what the scheme needs' };
}

const KIND_WORDS: Record<NonNullable<SuppliedNames['auth']>, string> = { bearer: 'a bearer token', basic: 'basic credentials', apiKey: 'an API key' };

/**
 * The security outcome of one operation: `operationSecurity` when the operation has its own
 * `security` (an empty list makes it public), else the document's `security`.
 */
export function securityFor(
  operationSecurity: unknown,
  documentSecurity: unknown,
  schemes: Record<string, unknown>,
  supplied: SuppliedNames,
  resolve: (s: unknown) => unknown,
): SecurityOutcome {
  const parsed = requirementsSchema.safeParse(operationSecurity !== undefined ? operationSecurity : documentSecurity);
  // No requirement (or one this reader cannot understand): the operation is called like any other.
  if (!parsed.success || parsed.data.length === 0) return { ok: true };
  const alternatives = parsed.data.map((requirement) => {
    const checks = Object.keys(requirement).map((name) => ({ name, result: check(name, resolve(schemes[name]), supplied) }));
    const ok = checks.every((c) => c.result.ok);
    const at = checks.flatMap((c) => (c.result.ok && c.result.at ? [c.result.at] : []));
    const missing = checks.flatMap((c) => (c.result.ok ? [] : [c.result]));
    return { ok, at, missing };
  });
  // Prefer a way in that uses the configured credential, then any that works (`{}` is anonymous access).
  const chosen = alternatives.find((a) => a.ok && a.at.length > 0) ?? alternatives.find((a) => a.ok);
  if (chosen) return chosen.at.length ? { ok: true, at: chosen.at } : { ok: true };
  const needs = alternatives.map((a) => a.missing.map((m) => m.need).join(' and '));
  const what = needs.length === 1 ? needs[0] : `one of: ${needs.join('; or ')}`;
  const remedy = alternatives[0].missing[0]?.remedy;
  const gives = supplied.auth ? ` (smoke.auth gives ${KIND_WORDS[supplied.auth]})` : '';
  return { ok: false, reason: `needs credentials: ${what}${gives}${remedy ? `; set ${remedy}` : ''}` };
}
