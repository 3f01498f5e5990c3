/**
 * The redactor under random input (fast-check): it never throws, redacting twice changes nothing,
 * a log keeps its number of lines, a known secret or a credential in a well-known format never
 * survives, and the time it takes grows linearly with the text, on inputs built to make a
 * backtracking pattern quadratic. Speed is measured by bench/redact.bench.ts, not here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Redactor, REDACTED } from '../../server/src/engine/redact';
import { fastestMs } from '../setup/timing';

/** Pieces that start, end or nest what the redactor looks for. */
const FRAGMENTS = [
  'a', 'Z', '9', '_', '-', '.', '/', '+', '=', ':', '::', '://', '@', '&', '?', ';', ',', ' ', '\t', '\n', '\r\n',
  '"', "'", '\\', '\\"', '{', '}', '[', ']', '(', ')', '<', '>', '`', '|', '$', '#', '%', 'é', '😀',
  REDACTED, '[red', 'acted]', 'token', 'api_key', 'Authorization', 'Cookie', 'Set-Cookie', 'password', 'KeyError', 'X-Api-Key',
  'session', 'Bearer ', 'Basic ', 'bearer\t', 'null', 'true', '{token}', '${env:TOKEN}', '=>', '==', '!=',
  'eyJ', 'eyJhbGciOiJIUzI1NiJ9', 'AKIA', 'AKIAIOSFODNN7EXAMPLE', 'ghp_', 'sk-', 'xoxb-', 'https://', 'user:pass@',
  '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', '-----BEGIN ', '-----END ', 'PRIVATE KEY-----',
  's3cret-one', 'S3CRET%20TWO',
];

const text = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }), { maxLength: 60 })
  .map((parts) => parts.join(''));
const secretsArb = fc.array(
  fc.oneof(fc.constantFrom('s3cret-one', 'S3CRET TWO', 'ab', 'pass', 'acted', 'd]x', '\uD800abcd'), fc.string({ minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', minLength: 4, maxLength: 10 })),
  { maxLength: 3 },
);

const RUNS = Number(process.env.SMOKE_REPAIR_FUZZ_RUNS ?? 3000);

describe('the redactor under random input', () => {
  it('never throws, and redacting again changes nothing (text, code, lines, values)', () => {
    fc.assert(
      fc.property(text, secretsArb, (s, secrets) => {
        const r = new Redactor(secrets);
        const once = r.text(s);
        assert.equal(r.text(once), once, `text: ${JSON.stringify(s)} → ${JSON.stringify(once)}`);
        const code = r.code(s);
        assert.equal(r.code(code), code, `code: ${JSON.stringify(s)} → ${JSON.stringify(code)}`);
        const lines = s.split('\n');
        const redactedLines = r.lines(lines);
        assert.equal(redactedLines.length, lines.length);
        assert.deepEqual(r.lines(redactedLines), redactedLines);
        const value = { body: s, password: s, nested: [{ apiKey: 1234, note: s }] };
        const v = r.value(value);
        assert.deepEqual(r.value(v), v);
      }),
      { numRuns: RUNS },
    );
  });

  it('a known secret never survives, in any text around it', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_~+-]{8,24}$/).filter((x) => !'redacted'.includes(x));
    fc.assert(
      fc.property(text, secret, text, (before, s, after) => {
        const out = new Redactor([s]).text(`${before}${s}${after}`);
        assert.ok(!out.includes(s), `${JSON.stringify(s)} survived in ${JSON.stringify(out)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('JWTs, cloud access key ids, provider tokens and private keys never survive, standing apart from their neighbours', () => {
    const b64 = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));
    const token = fc.oneof(
      fc.tuple(b64(8, 40), b64(8, 60), b64(8, 50)).map(([h, p, sig]) => `eyJ${h}.eyJ${p}.${sig}`),
      fc.stringMatching(/^[A-Z0-9]{16}$/).map((t) => `AKIA${t}`),
      fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((t) => `ghp_${t}`),
      fc.stringMatching(/^[A-Za-z0-9]{24,40}$/).map((t) => `sk_live_${t}`),
      fc.stringMatching(/^[A-Za-z0-9+/]{40,64}$/).map((t) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${t}\n${t}\n-----END OPENSSH PRIVATE KEY-----`),
    );
    const apart = fc.constantFrom(' ', '\n', '"', "'", '(', ':', '=', ', ', '\t', '/');
    fc.assert(
      fc.property(text, apart, token, apart, text, (before, l, t, r, after) => {
        const out = Redactor.patterns.text(`${before}${l}${t}${r}${after}`);
        const core = t.includes('PRIVATE KEY') ? t.split('\n')[1]! : t;
        assert.ok(!out.includes(core), `${JSON.stringify(core)} survived in ${JSON.stringify(out)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('credential-named values never survive, in any notation', () => {
    const value = fc.stringMatching(/^[A-Za-z0-9_~+/-]{6,20}$/).filter((x) => !'redacted'.includes(x));
    const name = fc.constantFrom('api_key', 'X-Api-Key', 'access_token', 'DB_PASSWORD', 'client_secret', 'sessionid', 'Authorization', 'Cookie', 'sig');
    const notation = fc.constantFrom(
      (n: string, v: string) => `${n}=${v}`,
      (n: string, v: string) => `${n}: ${v}`,
      (n: string, v: string) => `"${n}": "${v}"`,
      (n: string, v: string) => `'${n}': '${v}'`,
      (n: string, v: string) => `\\"${n}\\":\\"${v}\\"`,
      (n: string, v: string) => `"${n}" => "${v}"`,
      (n: string, v: string) => `${n}: Bearer ${v}`,
    );
    const apart = fc.constantFrom(' ', '\n', '?', '&', '{', ', ', '\t');
    fc.assert(
      fc.property(text, apart, name, notation, value, (before, sep, n, write, v) => {
        // The value may only be found where the credential stands: text around it that happens to hold it is not a leak.
        fc.pre(!before.includes(v) && !n.includes(v));
        const out = Redactor.patterns.text(`${before}${sep}${write(n, v)}\n`);
        assert.ok(!out.includes(v), `${JSON.stringify(v)} survived in ${JSON.stringify(out)}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('takes time linear in the text, also on inputs that make backtracking patterns quadratic', () => {
    const r = new Redactor(['s3cret-one', 'S3CRET TWO']);
    // Each is repeated n times; a pattern that rescans its run from every start would take n² steps.
    const units = [
      'eyJ', 'eyJa.', 'sk-', 'ghp_a', 'a=', 'token=', 'token:"', "'token': '", 'x:', '"a":', '\\"', '://', '://a', 'Cookie: ', 'Cookie: a=1; ',
      '-----BEGIN RSA PRIVATE KEY-----', '-----END ', 'Bearer ', 'Bearer a', 'AKIA', REDACTED, `token=${REDACTED}`, 'a', ' ',
    ];
    /** The fastest of five runs: the least disturbed by the rest of the machine. */
    const time = (s: string, fn: (x: string) => unknown) => fastestMs(() => fn(s), 5);
    const n = 4_000;
    // Linear: about 8 times as long for 8 times the text; quadratic: 64 times. Loose on purpose:
    // garbage collection and other work on the machine move single measurements, so a ratio above
    // the bound is measured again before it counts.
    const ratio = (u: string, fn: (x: string) => unknown) => {
      time(u.repeat(n), fn); // warm up
      const small = time(u.repeat(n), fn);
      const large = time(u.repeat(8 * n), fn);
      return large < 2 ? 1 : large / Math.max(small, 0.05);
    };
    const problems: string[] = [];
    for (const u of units) {
      for (const [mode, fn] of [
        ['text', (x: string) => r.text(x)],
        ['code', (x: string) => r.code(x)],
      ] as const) {
        const ratios = [ratio(u, fn)];
        while (ratios.at(-1)! > 32 && ratios.length < 3) ratios.push(ratio(u, fn));
        if (ratios.at(-1)! > 32) problems.push(`${mode} ${JSON.stringify(u)}: 8 times the text took ${ratios.map((x) => x.toFixed(1)).join(', ')} times as long`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
