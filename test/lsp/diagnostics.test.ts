import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Violation } from '../../server/src/engine/model';
import { violationToDiagnostic, frameLabel } from '../../server/src/lsp/violationDiagnostic';
import { configErrorsToDiagnostics } from '../../server/src/lsp/configDiagnostics';
import { DiagnosticStore } from '../../server/src/lsp/diagnosticStore';
import { cachedLineSource, nonBlankRange } from '../../server/src/lsp/sourceText';
import { parseReportUri, reportUri } from '../../server/src/protocol';

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-diag-'));
  mkdirSync(path.join(dir, 'app/routers'), { recursive: true });
  writeFileSync(
    path.join(dir, 'app/routers/carts.py'),
    ['def add_item(cart, item):', '    price = item["price"]', '', '\tcart.append(price)  ', ''].join('\n'),
  );
  writeFileSync(path.join(dir, 'app/main.py'), ['import x', 'def handle(req):', '    return add_item({}, req)'].join('\n'));
  writeFileSync(path.join(dir, 'smoke-repair.yaml'), 'version: 1\napp:\n  baseUrl: http://127.0.0.1:8000\n');
  return dir;
}

function violation(overrides: Partial<Violation> = {}): Violation {
  return {
    id: 'add-item:500',
    scenarioId: 'add-item',
    scenario: 'add an item',
    method: 'POST',
    path: '/carts/{cart_id}/items',
    expectedStatus: 201,
    actualStatus: 500,
    failureType: 'RUNTIME',
    strategy: 'SERVICE',
    retryable: false,
    signals: ['status 500', 'KeyError'],
    message: "POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'",
    trace: {
      language: 'python',
      exceptionClass: 'KeyError',
      message: "'price'",
      frames: [
        { file: '/usr/lib/python3/site-packages/starlette/routing.py', rawFile: '/usr/lib/python3/site-packages/starlette/routing.py', line: 74, function: 'app', inWorkspace: false },
        { file: 'app/main.py', rawFile: '/srv/app/main.py', line: 3, function: 'handle', inWorkspace: true },
        { file: 'app/routers/carts.py', rawFile: '/srv/app/routers/carts.py', line: 2, function: 'add_item', inWorkspace: true },
      ],
      causes: [],
      text: 'Traceback ...',
    },
    location: { file: 'app/routers/carts.py', line: 2 },
    locationKind: 'frame',
    logExcerpt: '',
    pinned: false,
    request: { method: 'POST', path: '/carts/1/items' },
    response: { status: 500, bodyExcerpt: 'Internal Server Error' },
    window: { startedAt: 0, endedAt: 1 },
    ...overrides,
  };
}

describe('violationToDiagnostic', () => {
  it('places the diagnostic on the non-blank text of the 0-based line, with code, report link and frames', () => {
    const dir = workspace();
    try {
      const folderUri = pathToFileURL(dir).href;
      const ctx = { folderPath: dir, folderUri, configPath: path.join(dir, 'smoke-repair.yaml'), lines: cachedLineSource() };
      const { uri, diagnostic } = violationToDiagnostic(violation(), ctx);
      assert.equal(uri, pathToFileURL(path.join(dir, 'app/routers/carts.py')).href);
      assert.deepEqual(diagnostic.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 25 } });
      assert.equal(diagnostic.severity, 1);
      assert.equal(diagnostic.source, 'smoke-repair');
      assert.equal(diagnostic.code, 'KeyError');
      assert.equal(diagnostic.message, violation().message);
      assert.deepEqual(diagnostic.data, { violationId: 'add-item:500', folderUri });
      assert.deepEqual(parseReportUri(diagnostic.codeDescription!.href), { folderUri, violationId: 'add-item:500' });
      const related = diagnostic.relatedInformation!;
      assert.deepEqual(
        related.map((r) => r.message),
        ['at handle (app/main.py:3)', 'at add_item (app/routers/carts.py:2)', '1 frame outside the workspace: see the full report'],
      );
      assert.equal(related[0].location.uri, pathToFileURL(path.join(dir, 'app/main.py')).href);
      assert.deepEqual(related[0].location.range, { start: { line: 2, character: 4 }, end: { line: 2, character: 28 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the failure type as code without a trace, and the config file when there is no location', () => {
    const dir = workspace();
    try {
      const ctx = { folderPath: dir, folderUri: pathToFileURL(dir).href, configPath: path.join(dir, 'smoke-repair.yaml'), lines: cachedLineSource() };
      const { uri, diagnostic } = violationToDiagnostic(violation({ trace: undefined, location: undefined, locationKind: 'none', failureType: 'TEST_ASSERT' }), ctx);
      assert.equal(uri, pathToFileURL(path.join(dir, 'smoke-repair.yaml')).href);
      assert.equal(diagnostic.code, 'TEST_ASSERT');
      assert.equal(diagnostic.relatedInformation, undefined);
      assert.deepEqual(diagnostic.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 10 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives an empty range at the line start when the file or line is missing, and trims tabs and trailing blanks', () => {
    assert.deepEqual(nonBlankRange(undefined, 7), { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } });
    assert.deepEqual(nonBlankRange('   ', 2), { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } });
    assert.deepEqual(nonBlankRange('\tcart.append(price)  ', 3), { start: { line: 3, character: 1 }, end: { line: 3, character: 19 } });
    const ctx = { folderPath: '/nonexistent', folderUri: 'file:///nonexistent', configPath: '/nonexistent/smoke-repair.yaml', lines: cachedLineSource() };
    const { diagnostic } = violationToDiagnostic(violation(), ctx);
    assert.deepEqual(diagnostic.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } });
  });

  it('labels frames like a stack trace', () => {
    assert.equal(frameLabel({ function: 'add_item', file: 'app/routers/carts.py', line: 42 }), 'at add_item (app/routers/carts.py:42)');
  });
});

describe('configErrorsToDiagnostics', () => {
  it('puts each problem on its 0-based line, from its column, with the remedy', () => {
    const lines = ['version: 1', 'app:', '  baseUrl: 12'];
    const [d] = configErrorsToDiagnostics([{ message: 'expected a URL', line: 3, column: 12, remedy: 'write http://host:port' }], (l) => lines[l]);
    assert.deepEqual(d.range, { start: { line: 2, character: 11 }, end: { line: 2, character: 13 } });
    assert.equal(d.message, 'expected a URL\nwrite http://host:port');
    assert.equal(d.source, 'smoke-repair');
  });
});

describe('DiagnosticStore', () => {
  it('merges owners per URI and clears what an owner no longer reports', () => {
    const published: Array<[string, number]> = [];
    const store = new DiagnosticStore((uri, list) => published.push([uri, list.length]));
    const d = (message: string) => ({ range: nonBlankRange(undefined, 0), message });
    store.replace('run:a', new Map([['file:///x', [d('1'), d('2')]], ['file:///y', [d('3')]]]));
    store.replace('config:y', new Map([['file:///y', [d('c')]]]));
    assert.equal(store.union('file:///y').length, 2);
    published.length = 0;
    store.replace('run:a', new Map([['file:///x', [d('1')]]]));
    assert.deepEqual(published, [['file:///x', 1], ['file:///y', 1]]);
    published.length = 0;
    store.clear('config:y');
    assert.deepEqual(published, [['file:///y', 0]]);
  });
});

describe('report URIs', () => {
  it('round-trip folder and violation id, including characters that need escaping', () => {
    const uri = reportUri('file:///tmp/a%20b&c', 'carts/{id}:500');
    assert.match(uri, /^smoke-repair-report:\/carts_id_500\.md\?/);
    assert.deepEqual(parseReportUri(uri), { folderUri: 'file:///tmp/a%20b&c', violationId: 'carts/{id}:500' });
    assert.equal(parseReportUri('file:///x'), undefined);
  });
});
