/**
 * The language server over stdio, driven by a real LSP client library, against a real app:
 * a Python HTTP server started by the engine as a local process, whose failures print real tracebacks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../setup/net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MarkupContent } from 'vscode-languageserver-protocol/node';
import { parseReportUri, RunFinishedNotification, RunSmokeCommand } from '../../server/src/protocol';
import { buildServer, LspEditor, processAppConfig } from '../setup/lspEditor';

const fixture = path.join(import.meta.dirname, 'fixtures/pyapp');

/** Diagnostic messages are plain strings here; 3.18 also allows Markdown. */
function text(m: string | MarkupContent): string {
  return typeof m === 'string' ? m : m.value;
}

function configText(port: number, opts: { start?: boolean } = {}): string {
  return processAppConfig(port, {
    start: opts.start,
    concurrency: 2,
    scenarios: [
      { name: 'health', method: 'GET', path: '/health', status: 200 },
      { name: 'item price', method: 'GET', path: '/items/1', status: 200 },
    ],
  });
}

/** The editor announces diagnostics, progress and messages, but no code actions. */
function newEditor(): LspEditor {
  return new LspEditor({
    untilMs: 10_000,
    pollMs: 25,
    logTail: Infinity,
    capabilities: {
      window: { workDoneProgress: true, showMessage: {} },
      workspace: { workspaceFolders: true, executeCommand: { dynamicRegistration: false } },
      textDocument: {
        synchronization: { dynamicRegistration: false },
        publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
      },
    },
  });
}

describe('language server over stdio', { timeout: 180_000 }, () => {
  let ws: string;
  let port: number;
  let lsp: LspEditor;
  const uriOf = (rel: string) => pathToFileURL(path.join(ws, rel)).href;

  before(async () => {
    buildServer();
    ws = mkdtempSync(path.join(tmpdir(), 'smoke-lsp-'));
    cpSync(fixture, ws, { recursive: true });
    port = await freePort();
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), configText(port));
    lsp = newEditor();
    const init = await lsp.initialize(ws);
    assert.deepEqual(init.capabilities.executeCommandProvider?.commands, [RunSmokeCommand.id, 'smokeRepair.applyFix', 'smokeRepair.fixApplied', 'smokeRepair.repairFailures', 'smokeRepair.rollbackLastFix', 'smokeRepair.startRepairLoop', 'smokeRepair.decideApproval']);
  });

  after(async () => {
    await lsp?.close();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('runs the smoke tests with progress and publishes the failure on the line that raised it', async () => {
    const result = await lsp.runSmoke();
    assert.deepEqual(result, { ok: true, passRate: 0.5, passed: 1, total: 2, violations: 1, folders: [pathToFileURL(ws).href] });

    // Work-done progress: a server-created token, begin → report(s) → end (the background planning of
    // the run's failures may have created its own token since: the run's is the first).
    assert.ok(lsp.created.length >= 1);
    const mine = lsp.progress.filter((p) => p.token === lsp.created[0]).map((p) => p.value);
    assert.equal(mine[0].kind, 'begin');
    assert.equal(mine[0].title, 'Smoke tests');
    assert.ok(mine.some((v) => v.kind === 'report'), 'at least one progress report');
    assert.equal(mine.at(-1)!.kind, 'end');
    const percentages = mine.filter((v) => v.kind === 'report').map((v) => v.percentage!);
    assert.deepEqual(percentages, [...percentages].sort((a, b) => a - b), 'percentages never go back');

    const storeLines = readFileSync(path.join(ws, 'app/store.py'), 'utf8').split('\n');
    const raising = storeLines.findIndex((l) => l.includes('item["price"]'));
    const diags = lsp.diagnostics.get(uriOf('app/store.py'));
    assert.ok(diags, `diagnostics for app/store.py; published: ${[...lsp.diagnostics.keys()].join(', ')}\n${lsp.log.join('\n')}`);
    assert.equal(diags.length, 1);
    const [d] = diags;
    assert.match(text(d.message), /GET \/items\/1 → 500 \(expected 200\)/);
    assert.match(text(d.message), /KeyError/);
    assert.equal(d.code, 'KeyError');
    assert.equal(d.source, 'smoke-repair');
    assert.equal(d.severity, 1);
    const indent = storeLines[raising].search(/\S/);
    assert.deepEqual(d.range, { start: { line: raising, character: indent }, end: { line: raising, character: storeLines[raising].trimEnd().length } });

    const related = d.relatedInformation ?? [];
    const labels = related.map((r) => r.message);
    const mainLines = readFileSync(path.join(ws, 'app/main.py'), 'utf8').split('\n');
    const routeLine = mainLines.findIndex((l) => l.includes('item_price(item_id)')) + 1;
    assert.ok(labels.includes(`at route (app/main.py:${routeLine})`), labels.join('\n'));
    assert.ok(labels.includes(`at item_price (app/store.py:${raising + 1})`), labels.join('\n'));
    // Most recent call last.
    assert.ok(labels.indexOf(`at route (app/main.py:${routeLine})`) < labels.indexOf(`at item_price (app/store.py:${raising + 1})`));
    const routeInfo = related.find((r) => r.message.startsWith('at route'))!;
    assert.equal(routeInfo.location.uri, uriOf('app/main.py'));
    assert.equal(routeInfo.location.range.start.line, routeLine - 1);

    // The code's link opens the rendered report through the custom request.
    const target = parseReportUri(d.codeDescription!.href);
    assert.ok(target, d.codeDescription?.href);
    assert.deepEqual(d.data, { violationId: target.violationId, folderUri: target.folderUri });
    const report = (await lsp.conn.sendRequest('smokeRepair/report', target)) as { markdown: string };
    assert.match(report.markdown, /KeyError/);
    assert.match(report.markdown, /items\/1/);

    // Per-scenario results for Test Explorer and the status bar.
    assert.equal(lsp.started.length, 1);
    const finished = RunFinishedNotification.paramsSchema.parse(lsp.finished.at(-1));
    assert.ok(finished.ok);
    const failing = finished.scenarios.find((s) => !s.ok)!;
    assert.equal(failing.name, 'item price');
    assert.equal(failing.status, 500);
    assert.equal(failing.expectedStatus, 200);
    assert.deepEqual(failing.location, { uri: uriOf('app/store.py'), line: raising, character: indent });
    assert.equal(failing.frames.at(-1)!.function, 'item_price');
    assert.equal(failing.frames.at(-1)!.uri, uriOf('app/store.py'));
    assert.ok(finished.scenarios.find((s) => s.name === 'health')!.ok);
  });

  it('clears stale diagnostics when a later run no longer finds the failure', async () => {
    const store = path.join(ws, 'app/store.py');
    writeFileSync(store, readFileSync(store, 'utf8').replace('item["price"]', 'item["cost"]'));
    const before = lsp.published.length;
    const result = await lsp.runSmoke();
    assert.deepEqual(result, { ok: true, passRate: 1, passed: 2, total: 2, violations: 0, folders: [pathToFileURL(ws).href] });
    const cleared = lsp.published.slice(before).find((p) => p.uri === uriOf('app/store.py'));
    assert.ok(cleared, 'app/store.py republished');
    assert.deepEqual(cleared.diagnostics, []);
    assert.ok([...lsp.diagnostics.values()].every((list) => list.length === 0));
  });

  it('turns a bad smoke-repair.yaml into diagnostics on the offending line', async () => {
    const good = configText(port);
    const bad = good.replace('    request: { method: GET, path: /items/1 }', '    request: { method: GET, path: items/1 }');
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), bad);
    const result = await lsp.runSmoke();
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, 'config');
    const line = bad.split('\n').findIndex((l) => l.includes('path: items/1'));
    const diags = lsp.diagnostics.get(uriOf('smoke-repair.yaml')) ?? [];
    assert.equal(diags.length, 1, JSON.stringify(diags));
    assert.equal(diags[0].range.start.line, line);
    assert.match(text(diags[0].message), /path/);
    assert.match(text(diags[0].message), /"\/"/);
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), good);
  });

  it('checks the config file live while it is edited', async () => {
    const uri = uriOf('smoke-repair.yaml');
    const good = configText(port);
    const bad = good.replace('  retries: 0', '  retries: lots');
    await lsp.open(uri, 1, { languageId: 'yaml', text: bad });
    const line = bad.split('\n').findIndex((l) => l.includes('retries: lots'));
    await lsp.until(() => (lsp.diagnostics.get(uri) ?? []).some((d) => d.range.start.line === line), 'a live diagnostic on the retries line');
    await lsp.change(uri, good); // version 2
    await lsp.until(() => (lsp.diagnostics.get(uri) ?? ['x']).length === 0, 'the live diagnostic to clear');
    await lsp.closeDocument(uri);
  });

  it('reports an unreachable app with its remedy, without crashing', async () => {
    const other = await freePort();
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), configText(other, { start: false }));
    const result = await lsp.runSmoke();
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.error.kind, 'environment');
    assert.ok(result.error.remedy && result.error.remedy.length > 0);
    const shown = lsp.messages.at(-1);
    assert.equal(shown?.type, 1);
    assert.ok(shown!.message.includes(result.error.remedy!));
    // Still serving: a report request answers.
    const answer = (await lsp.conn.sendRequest('smokeRepair/report', { folderUri: pathToFileURL(ws).href, violationId: 'nope' })) as { markdown: string };
    assert.match(answer.markdown, /not available/);
    assert.equal(lsp.child.exitCode, null);
  });
});
