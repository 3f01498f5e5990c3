/**
 * Redaction throughput: MB/s of Redactor.text (what every log line and response body goes through
 * where it enters the engine) and Redactor.code (what a prompt goes through before it leaves).
 *   node --import tsx bench/redact.bench.ts [--mb=32]
 * 1. A realistic log: access-log lines, SQL, JSON log lines, a traceback whose message dumps the
 *    environment, header dumps; about 2% of the lines carry a credential of some kind.
 * 2. The same text with no credential at all (the common case).
 * 3. Inputs built to make a backtracking pattern quadratic (long runs of a token's first
 *    characters, separators, quotes): the time per MB stays that of a plain log.
 */
import { Redactor } from '../server/src/engine/redact';

const CLEAN = [
  'INFO:     127.0.0.1:53122 - "GET /items/42 HTTP/1.1" 200 OK',
  '2024-05-01T12:00:00.123Z api request completed method=POST path=/carts status=201 duration_ms=12',
  '[2024-05-01 12:00:01,004] DEBUG sqlalchemy.engine: SELECT items.id, items.sku FROM items WHERE items.id = ?',
  '{"level":30,"time":1714564800123,"msg":"request completed","res":{"statusCode":200},"responseTime":4}',
  '  File "/app/app/routers/carts.py", line 46, in add_item',
  "KeyError: 'price'",
];
const SECRET = [
  'INFO:     127.0.0.1:53124 - "POST /orders/7/pay?api_key=k-7f3a9c0d11e2&x=1 HTTP/1.1" 500 Internal Server Error',
  "POST /orders/7/pay headers={'host': 'api', 'authorization': 'Bearer 7f3a9c0d11e2aa', 'cookie': 'session=abc123'}",
  "RuntimeError: bad configuration: {'PATH': '/usr/bin', 'DB_PASSWORD': 'pw-123', 'UPSTREAM_URL': 'https://svc:pw@up/v1'}",
  'upstream rejected eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl for AKIAIOSFODNN7EXAMPLE',
];

function makeLog(bytes: number, secretShare: number, seed: number): string {
  const parts: string[] = [];
  let size = 0;
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  while (size < bytes) {
    const pool = rnd() < secretShare ? SECRET : CLEAN;
    const l = `${pool[Math.floor(rnd() * pool.length)]!}\n`;
    parts.push(l);
    size += l.length;
  }
  return parts.join('');
}

const mbArg = process.argv.find((a) => a.startsWith('--mb='));
const MB = mbArg ? Number(mbArg.slice(5)) : 32;
const r = new Redactor(['configured-secret-1', 'another-known-value-2']);

function throughput(name: string, text: string, fn: (s: string) => string): void {
  fn(text.slice(0, 1 << 20)); // warm up
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    fn(text);
    best = Math.min(best, performance.now() - t);
  }
  const mb = text.length / 1024 / 1024;
  console.log(`${name.padEnd(44)} ${mb.toFixed(1).padStart(6)} MB  ${(mb / (best / 1000)).toFixed(1).padStart(7)} MB/s`);
}

console.log(`command: node --import tsx bench/redact.bench.ts${mbArg ? ` ${mbArg}` : ''}`);
const log = makeLog(MB * 1024 * 1024, 0.02, 1);
const clean = makeLog(MB * 1024 * 1024, 0, 2);
throughput('text: log, 2% of lines with a credential', log, (s) => r.text(s));
throughput('text: log without credentials', clean, (s) => r.text(s));
throughput('code: log, 2% of lines with a credential', log, (s) => r.code(s));
const lines = log.split('\n');
throughput('lines: the same log as lines', log, () => r.lines(lines).join('\n'));
const size = 4 * 1024 * 1024;
for (const unit of ['eyJ', 'sk-', 'token=', "'token': '", 'Cookie: ', '://', 'Bearer ', '-----BEGIN RSA PRIVATE KEY-----']) {
  throughput(`text: ${JSON.stringify(unit)} repeated`, unit.repeat(Math.ceil(size / unit.length)), (s) => r.text(s));
}
