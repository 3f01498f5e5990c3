/**
 * Credentials recognised by their form, wherever they stand: private-key blocks, the user info of a
 * URL (`https://user:pass@host`), well-known token formats (JWTs, cloud access key ids, provider
 * tokens) and the token after an HTTP auth scheme (`Bearer …`).
 *
 * Every pattern runs in linear time: a token may only start where no token character precedes it
 * (a look-behind), and every repeated character class stops at a character that cannot continue it,
 * so no position is scanned more than a fixed number of times.
 */

export const REDACTED = '[redacted]';

// ------------------------------------------------------------------ private keys

const BEGIN = /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const END = /-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;

/** Every line of a private-key block's body becomes the marker; the armour lines and line breaks stay. Without its END line, the block runs to the end of the text. */
export function redactPrivateKeys(s: string): string {
  let out = '';
  let copied = 0;
  let from = 0;
  for (;;) {
    const at = s.indexOf('-----BEGIN ', from);
    if (at < 0) break;
    BEGIN.lastIndex = at;
    if (!BEGIN.test(s)) {
      from = at + 1;
      continue;
    }
    const bodyStart = BEGIN.lastIndex;
    let bodyEnd = s.length;
    let next = s.length;
    for (let e = s.indexOf('-----END ', bodyStart); e >= 0; e = s.indexOf('-----END ', e + 1)) {
      END.lastIndex = e;
      if (END.test(s)) {
        bodyEnd = e;
        next = END.lastIndex;
        break;
      }
    }
    const body = s.slice(bodyStart, bodyEnd);
    const masked = body.replace(/[^\r\n]+/g, REDACTED);
    if (masked !== body) {
      out += s.slice(copied, bodyStart) + masked;
      copied = bodyEnd;
    }
    from = next;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

// ------------------------------------------------------------------ URL user info

/** `scheme://user:pass@` or `scheme://token@`: the user info of a URL (no `/`, `@` or blank inside). */
const USERINFO = /:\/\/([^\s/?#@"'<>[\]\\{}|`]+)@/g;

export function redactUserInfo(s: string): string {
  if (!s.includes('://')) return s;
  return s.replace(USERINFO, (whole, info: string) => {
    const colon = info.indexOf(':');
    return colon >= 0 ? `://${info.slice(0, colon)}:${REDACTED}@` : `://${REDACTED}@`;
  });
}

// ------------------------------------------------------------------ token formats

/**
 * JWTs (and other JWS/JWE compact forms), AWS access key ids, GitHub, GitLab, Slack, OpenAI-style,
 * Stripe secret, Google API, npm and SendGrid keys.
 */
const TOKENS = new RegExp(
  '(?<![A-Za-z0-9_-])(?:' +
    [
      'eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*',
      '(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9])',
      'gh[pousr]_[A-Za-z0-9]{30,}',
      'github_pat_[A-Za-z0-9_]{30,}',
      'glpat-[A-Za-z0-9_-]{20,}',
      'xox[abposr]-[A-Za-z0-9-]{10,}',
      'sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}',
      '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}',
      'AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])',
      'npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])',
      'SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}',
    ].join('|') +
    ')',
  'g',
);

export function redactTokens(s: string): string {
  return s.replace(TOKENS, REDACTED);
}

// ------------------------------------------------------------------ auth schemes

/** The schemes whose word stays when the credential after it goes: `Bearer [redacted]`. */
export const AUTH_SCHEME = /^(?:Bearer|Basic|Token|Digest|Negotiate|NTLM|ApiKey|Bot|OAuth)(?=[ \t])/i;

const SCHEME_TOKEN = /(?<![A-Za-z0-9_-])(Bearer|Basic|Token)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;

/** A word after "Bearer" that is a credential, not prose: long, with a digit, a symbol or mixed case inside. */
function looksLikeToken(t: string): boolean {
  if (t.length < 8) return false;
  if (/[0-9\-._~+/=]/.test(t)) return true;
  let upper = 0;
  let lower = 0;
  for (let i = 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
  }
  return upper >= 2 && lower >= 2;
}

export function redactSchemeTokens(s: string): string {
  return s.replace(SCHEME_TOKEN, (whole, scheme: string, space: string, token: string) => (looksLikeToken(token) ? `${scheme}${space}${REDACTED}` : whole));
}

// ------------------------------------------------------------------ known values

/**
 * Replaces every occurrence of the given values, longest first, in one left-to-right pass. Markers
 * already in the text are kept whole: the text is cut at them and each piece is searched alone, so a
 * value can never be found again in what an earlier pass wrote.
 */
export function knownValuesReplacer(values: readonly string[]): ((s: string) => string) | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...new Set(values)].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(sorted.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const one = (piece: string) => piece.replace(pattern, REDACTED);
  return (s) => (s.includes(REDACTED) ? s.split(REDACTED).map(one).join(REDACTED) : one(s));
}
