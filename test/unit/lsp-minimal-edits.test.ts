/** The minimal edits sent to the editor: exact results, small ranges, CRLF and unicode kept whole. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyTextEdits, LineIndex, minimalTextEdits } from '../../server/src/lsp/minimalEdits';

describe('minimalTextEdits', () => {
  it('inserts an import as one edit at the line it belongs to', () => {
    const a = '"""Tokens."""\n\n\ndef new_token():\n    return uuid.uuid4().hex\n';
    const b = '"""Tokens."""\n\nimport uuid\n\n\ndef new_token():\n    return uuid.uuid4().hex\n';
    assert.deepEqual(minimalTextEdits(a, b), [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, newText: 'import uuid\n\n' }]);
  });

  it('narrows a changed line to the characters that differ, one edit per separate change', () => {
    const a = 'a = 1\nb = foo(x)\nc = 3\nd = 4\ne = 5\nf = bar(y)\n';
    const b = 'a = 1\nb = foo(x, z)\nc = 3\nd = 4\ne = 5\nf = baz(y)\n';
    const edits = minimalTextEdits(a, b);
    assert.deepEqual(edits, [
      { range: { start: { line: 1, character: 9 }, end: { line: 1, character: 9 } }, newText: ', z' },
      { range: { start: { line: 5, character: 6 }, end: { line: 5, character: 7 } }, newText: 'z' },
    ]);
    assert.equal(applyTextEdits(a, edits), b);
  });

  it('keeps CRLF line endings whole and counts lines the way LSP does', () => {
    const a = 'fastapi\r\nuvicorn\r\n';
    const b = 'fastapi\r\npython-slugify\r\nuvicorn\r\n';
    const edits = minimalTextEdits(a, b);
    assert.deepEqual(edits, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: 'python-slugify\r\n' }]);
    // Changing LF to CRLF never splits the pair.
    const e2 = minimalTextEdits('x\ny\n', 'x\r\ny\n');
    assert.equal(applyTextEdits('x\ny\n', e2), 'x\r\ny\n');
    for (const e of e2) assert.ok(!e.newText.startsWith('\n') || e.range.start.character > 0 || e.range.start.line === 0);
  });

  it('counts characters in UTF-16 code units and never splits a surrogate pair', () => {
    const a = 'name = "😀 é"\nx = 1\n\ny = 3\n';
    const b = 'name = "😁 é"\nx = 1\n\ny = 4\n';
    const edits = minimalTextEdits(a, b);
    assert.equal(applyTextEdits(a, edits), b);
    // 😀 and 😁 share their high surrogate: the edit still replaces the whole pair.
    assert.deepEqual(edits[0], { range: { start: { line: 0, character: 8 }, end: { line: 0, character: 10 } }, newText: '😁' });
    assert.deepEqual(edits[1], { range: { start: { line: 3, character: 4 }, end: { line: 3, character: 5 } }, newText: '4' });
  });

  it('handles a missing final newline, a lone CR, empty texts, and identical texts', () => {
    assert.deepEqual(minimalTextEdits('same', 'same'), []);
    for (const [a, b] of [
      ['a\nb', 'a\nb\n'],
      ['', 'new file\n'],
      ['all gone\n', ''],
      ['mac\rline\r', 'mac\rline two\r'],
    ]) assert.equal(applyTextEdits(a!, minimalTextEdits(a!, b!)), b);
    assert.deepEqual(new LineIndex('a\rb\r\nc\nd').positionAt(7), { line: 3, character: 0 });
  });

  it('always reproduces the patched text exactly, with edits that never overlap', () => {
    const piece = fc.constantFrom('a', 'b', ' ', '\n', '\r\n', '\r', 'é', '😀', 'import x\n', '');
    const text = fc.array(piece, { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const edits = minimalTextEdits(a, b);
        assert.equal(applyTextEdits(a, edits), b);
        const starts = [0, ...[...a.matchAll(/\r\n|\n|\r/g)].map((m) => m.index! + m[0].length)];
        let last = -1;
        for (const e of edits) {
          const s = starts[e.range.start.line]! + e.range.start.character;
          const t = starts[e.range.end.line]! + e.range.end.character;
          assert.ok(s >= last && t >= s, 'edits are ordered and never overlap');
          last = t;
          for (const at of [s, t]) {
            const hi = a.charCodeAt(at - 1);
            assert.ok(!(hi >= 0xd800 && hi <= 0xdbff), 'no edit boundary inside a surrogate pair');
            assert.ok(!(a[at - 1] === '\r' && a[at] === '\n'), 'no edit boundary inside a CRLF');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
