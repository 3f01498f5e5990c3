/**
 * Which names hold credentials: a header, query parameter, form field, environment variable or
 * JSON key named `api_key`, `X-Auth-Token`, `DB_PASSWORD`, `sessionid`, `Set-Cookie`, `sig`...
 * A name is split into words (`_`, `-`, `.`, camelCase: `XApiKey` → x, api, key), and it is a
 * credential's when a word is one of WORDS or ends in one of ENDINGS, unless its last word says it
 * names something about the credential rather than the credential itself (`token_type`,
 * `KeyError`, `secret_name`, `expires_at`).
 */

const WORDS = new Set([
  'token',
  'secret',
  'secrets',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'session',
  'sessionid',
  'sid',
  'auth',
  'authorization',
  'authn',
  'oauth',
  'credential',
  'credentials',
  'creds',
  'signature',
  'sig',
  'cookie',
  'apikey',
  'key',
  'jwt',
  'bearer',
  'csrf',
  'xsrf',
  'otp',
]);

/** One word, run together: `accesstoken`, `clientsecret`, `phpsessid`, `jsessionid`. */
const ENDINGS = ['token', 'secret', 'password', 'passwd', 'apikey', 'sessid', 'sessionid', 'signature', 'credential', 'credentials'];

/** A last word that names something about a credential, not the credential. */
const ABOUT = new Set([
  'error',
  'errors',
  'exception',
  'warning',
  'type',
  'name',
  'names',
  'length',
  'len',
  'count',
  'size',
  'expires',
  'expiry',
  'expiration',
  'ttl',
  'at',
  'format',
  'scheme',
  'url',
  'uri',
  'endpoint',
  'path',
  'file',
  'hint',
  'policy',
  'required',
  'enabled',
  'method',
  'kind',
  'mode',
  'version',
  'field',
  'prefix',
]);

const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isDigit = (c: number) => c >= 48 && c <= 57;

/** `XApiKey` → x, api, key; `HTTP_AUTHORIZATION` → http, authorization; `oauth2-token` → oauth2, token. */
export function nameWords(name: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 0;
    const alnum = isLower(c) || isUpper(c) || isDigit(c);
    if (!alnum) {
      if (start >= 0) out.push(name.slice(start, i).toLowerCase());
      start = -1;
      continue;
    }
    if (start >= 0 && isUpper(c)) {
      const prev = name.charCodeAt(i - 1);
      const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      // aB → a|B; ABc → A|Bc (an acronym ends where a capitalised word starts)
      if (isLower(prev) || isDigit(prev) || (isUpper(prev) && isLower(next))) {
        out.push(name.slice(start, i).toLowerCase());
        start = i;
      }
    }
    if (start < 0) start = i;
  }
  return out;
}

/** A credential's name holds one of these (a quick test before the name is split into words). */
const HINT = /tok|secret|pass|pwd|sess|sid|auth|cred|sig|cookie|key|jwt|bearer|csrf|xsrf|otp/i;

/** Names seen before (logs repeat the same few names): the answer without splitting them again. */
const seen = new Map<string, boolean>();
const SEEN_MAX = 4096;

/** Whether a name (header, parameter, field, variable) is a credential's. */
export function isCredentialName(name: string): boolean {
  if (name.length < 2 || name.length > 64 || !HINT.test(name)) return false;
  const known = seen.get(name);
  if (known !== undefined) return known;
  const words = nameWords(name);
  const answer = words.length > 0 && !ABOUT.has(words[words.length - 1]) && words.some((w) => WORDS.has(w) || ENDINGS.some((e) => w.endsWith(e)));
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(name, answer);
  return answer;
}

/** Names whose value runs to the end of the line: `Cookie: a=1; b=2`, `Authorization: Digest username="x", ...`. */
export function isWholeLineName(name: string): boolean {
  return nameWords(name).some((w) => w === 'authorization' || w === 'cookie');
}
