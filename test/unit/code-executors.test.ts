import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { modifyCode, replacePattern, setStatusCode, updateRoute } from '../../server/src/engine/patch/executors/code';
import { PatchError, type ExecutorContext } from '../../server/src/engine/contracts';
import { scanModule, scanRouteSites } from '../../server/src/engine/routes';

const ctxOf = (file: string, text: string): ExecutorContext => ({ workspace: '/nowhere', file, text, exists: true, read: async () => undefined });
const modify = (find: string, replace: string) => ({ type: 'modify_code' as const, file: 'a.py', rationale: 'r', evidence: [], details: { find, replace } });
const pattern = (find: string, replace: string) => ({ type: 'replace_pattern' as const, file: 'a.py', rationale: 'r', evidence: [], details: { pattern: 'p', find, replace } });

test('modify_code and replace_pattern replace the one occurrence byte for byte', async () => {
  const text = 'a = 1\r\nb = data["price"]\r\nc = 3';
  assert.equal(await modifyCode(modify('data["price"]', 'product.price'), ctxOf('a.py', text)), 'a = 1\r\nb = product.price\r\nc = 3');
  assert.equal(await replacePattern(pattern('a = 1', 'a = 2'), ctxOf('a.py', text)), 'a = 2\r\nb = data["price"]\r\nc = 3');
  // A snippet written with LF matches a CRLF file; the replacement gets CRLF.
  assert.equal(await modifyCode(modify('a = 1\nb', 'a = 9\nx = 0\nb'), ctxOf('a.py', text)), 'a = 9\r\nx = 0\r\nb = data["price"]\r\nc = 3');
});

test('a snippet found twice or nowhere is refused, saying how many times it occurred', async () => {
  await assert.rejects(async () => modifyCode(modify('x', 'y'), ctxOf('a.py', 'x = x\n')), (e: unknown) => e instanceof PatchError && /occurs 2 times/.test(e.message) && e.line === 1);
  await assert.rejects(async () => replacePattern(pattern('zz', 'y'), ctxOf('a.py', 'x = x\n')), /occurs nowhere/);
  await assert.rejects(async () => modifyCode(modify('x', 'y'), { ...ctxOf('a.py', ''), exists: false }), /does not exist/);
});

test('update_route refuses a path that would break the literal and a route that is not there', async () => {
  const text = '@router.get("/a")\ndef a(): ...\n';
  const op = (from: string, to: string, line?: number) => ({ type: 'update_route' as const, file: 'r.py', rationale: 'r', evidence: [], details: { method: 'GET', from, to, ...(line ? { line } : {}) } });
  assert.equal(await updateRoute(op('/a', '/b'), ctxOf('r.py', text)), text.replace('/a', '/b'));
  await assert.rejects(async () => updateRoute(op('/a', '/b"); import os; ("'), ctxOf('r.py', text)), /not a route path/);
  await assert.rejects(async () => updateRoute(op('/c', '/b'), ctxOf('r.py', text)), /declared 0 times/);
  await assert.rejects(async () => updateRoute(op('/a', '/b', 5), ctxOf('r.py', text)), /no GET route "\/a" is declared at r\.py:5/);
});

test('set_status_code in Express: an explicit status changes only its number; two candidates are refused', async () => {
  const text = "router.post('/x', (req, res) => {\n  res.status(200).json({ ok: 1 });\n});\n";
  const op = (line?: number) => ({ type: 'set_status_code' as const, file: 'r.js', rationale: 'r', evidence: [], details: { method: 'POST', path: '/x', from: 200, to: 201, ...(line ? { line } : {}) } });
  assert.equal(await setStatusCode(op(2), ctxOf('r.js', text)), text.replace('status(200)', 'status(201)'));
  assert.equal(await setStatusCode(op(), ctxOf('r.js', text)), text.replace('status(200)', 'status(201)'));
  const two = "router.post('/x', (req, res) => {\n  if (req.body.a) return res.json(1);\n  res.json(2);\n});\n";
  await assert.rejects(async () => setStatusCode(op(), ctxOf('r.js', two)), /found 2/);
});

test('fuzz: find/replace never throws anything but PatchError and never touches bytes outside the edited range', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), (text, find, replace) => {
      let out: string;
      try {
        out = modifyCode(modify(find, replace), ctxOf('a.py', text)) as string;
      } catch (e) {
        assert.ok(e instanceof PatchError, String(e));
        return;
      }
      // Exactly one occurrence (possibly of the CRLF form): the prefix and suffix around it are intact.
      const at = text.indexOf(find) >= 0 ? text.indexOf(find) : text.indexOf(find.replace(/\n/g, '\r\n'));
      const f = text.indexOf(find) >= 0 ? find : find.replace(/\n/g, '\r\n');
      const r = text.indexOf(find) >= 0 ? replace : replace.replace(/\r?\n/g, '\r\n');
      assert.equal(out, text.slice(0, at) + r + text.slice(at + f.length));
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: route scanning and module scanning never throw and report offsets inside the text', () => {
  const pieces = ['@router.get(', '@app.post(', '"/a/{id}"', "'/b'", ')', '(', '\n', '\r\n', 'def f():\n    pass\n', 'router.get(', 'router.route(', '.put(', '(req, res) => { res.json(1); }', '`', '"""', '#', '//', '/*', ',', ' ', 'APIRouter(prefix="/p")', 'app = FastAPI()', 'app.include_router(x.router)', "app.use('/t', t)", "const t = require('./t');"];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 40 }), fc.constantFrom('m.py', 'm.js'), (parts, file) => {
      const text = parts.join('');
      for (const s of scanRouteSites(file, text)) {
        assert.ok(s.literalStart >= 0 && s.literalEnd <= text.length && s.literalStart <= s.literalEnd);
        assert.equal(text.slice(s.literalStart, s.literalEnd), s.literal);
        assert.ok(s.callStart < s.callEnd && s.callEnd <= text.length);
      }
      scanModule(file, text);
    }),
    { numRuns: 1500 },
  );
});

test('fuzz: update_route changes only the literal', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\/[a-z{}_/]{0,12}$/), fc.stringMatching(/^\/[a-z_/]{0,12}$/), fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (from, to, before, after) => {
      const text = `${before.replace(/[@"'()\\]/g, '')}\n@router.get("${from}")\ndef h(): ...\n${after}`;
      const op = { type: 'update_route' as const, file: 'r.py', rationale: 'r', evidence: [], details: { method: 'GET', from, to } };
      try {
        const out = updateRoute(op, ctxOf('r.py', text)) as string;
        const at = text.indexOf(`@router.get("${from}")`) + '@router.get("'.length;
        assert.equal(out, text.slice(0, at) + to + text.slice(at + from.length));
      } catch (e) {
        assert.ok(e instanceof PatchError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});
