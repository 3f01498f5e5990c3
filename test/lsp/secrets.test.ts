/**
 * Secrets stay secret in the editor: the real language server over stdio, on a copy of shop-api in
 * Docker with secrets planted in its requests, log, answers and environment
 * (test/setup/plantedSecrets.ts), and an LLM planner (the scripted OpenAI-compatible server). After
 * a smoke run and the background planning, a byte search of every diagnostic, notification,
 * progress message, report, code action, fix preview, the server's log, every file under
 * `.smoke-repair/` and every request the model server received finds none of them, while the
 * container's own log shows the app received each. The credentials written into smoke-repair.yaml
 * are warnings on their lines, which name the place and not the value.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol/node';
import { FixDetailsRequest, ReportRequest } from '../../server/src/protocol';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { startLlmStub, type LlmStub } from '../setup/llmStub';
import { buildServer, LspEditor } from '../setup/lspEditor';
import { freePort } from '../setup/net';
import { filesUnder, findSecrets, plantedShop, type PlantedShop } from '../setup/plantedSecrets';

const NOT_A_PLAN = '{"root_cause": "not sure"}';

/** A diagnostic's message as text. */
const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);

describe('secrets in the editor', { timeout: 30 * 60_000 }, () => {
  let shop: PlantedShop;
  let stub: LlmStub;
  let editor: LspEditor;

  before(async () => {
    buildServer();
    await ensureDocker();
    await ensureExampleUp('shop-api'); // its image; the shared container is not touched
    stub = await startLlmStub();
    stub.enqueue(...Array.from({ length: 500 }, () => ({ content: NOT_A_PLAN })));
    shop = await plantedShop(await freePort(), stub.baseUrl);
    const env = { ...process.env, ...shop.env };
    delete env.SMOKE_REPAIR_LLM_API_KEY;
    editor = new LspEditor({ env, untilMs: 20 * 60_000 });
    await editor.initialize(shop.copy.dir);
  });
  after(async () => {
    await editor?.close();
    shop?.copy.stop();
    await stub?.close();
  });

  it('diagnostics, reports, fixes, the log, the records and the prompts hold none of them', async (t) => {
    const folderUri = pathToFileURL(shop.copy.dir).href;
    const result = await editor.runSmoke();
    assert.ok(result.ok, JSON.stringify(result));
    await editor.until(() => editor.planned.find((p) => p.folderUri === folderUri), 'the background planning');

    // The evidence is all there, with the secrets hidden.
    const violations = [...editor.diagnostics.values()].flat().filter((d) => d.code !== 'config');
    assert.ok(violations.some((d) => /NameError/.test(messageOf(d))), violations.map(messageOf).join('\n'));
    // The credentials written into smoke-repair.yaml: a warning each, on its line.
    const configUri = pathToFileURL(path.join(shop.copy.dir, 'smoke-repair.yaml')).href;
    const warnings = (editor.diagnostics.get(configUri) ?? []).filter((d) => d.severity === 2);
    assert.deepEqual(
      warnings.map((d) => messageOf(d).split('\n')[0]!.replace(/\[\d+\]/, '[n]')).sort(),
      ['scenarios[n].request.headers.Authorization holds a credential-named header written into the file', 'scenarios[n].request.path holds the credential-named query parameter api_key in the path written into the file'],
    );

    const shown: Array<{ place: string; text: string }> = [
      { place: 'published diagnostics', text: JSON.stringify(editor.published) },
      { place: 'run notifications', text: JSON.stringify([editor.started, editor.finished, editor.planned]) },
      { place: 'progress', text: JSON.stringify(editor.progress) },
      { place: 'messages', text: JSON.stringify(editor.messages) },
    ];
    const ids = new Set(violations.map((d) => (d.data as { violationId?: string } | undefined)?.violationId).filter((x): x is string => Boolean(x)));
    for (const violationId of ids) {
      const report = (await editor.conn.sendRequest(ReportRequest.method, { folderUri, violationId })) as ReportRequest.Result;
      shown.push({ place: `report of ${violationId}`, text: report.markdown });
    }
    assert.ok(shown.some((s) => s.place.startsWith('report') && /RuntimeError: the configuration is incomplete/.test(s.text)), 'the env-dump trace is reported');
    const fixIds = new Set<string>();
    for (const uri of editor.diagnostics.keys()) {
      const actions: CodeAction[] = await editor.actions(uri);
      shown.push({ place: `code actions of ${uri}`, text: JSON.stringify(actions) });
      for (const a of actions) {
        const data = a.data as { fixId?: string } | undefined;
        if (data?.fixId) fixIds.add(data.fixId);
      }
    }
    for (const fixId of fixIds) {
      const details = await editor.conn.sendRequest(FixDetailsRequest.method, { fixId });
      shown.push({ place: `preview of ${fixId}`, text: JSON.stringify(details) });
    }
    assert.ok(stub.requests.length > 0, 'the model was asked');

    const places = [
      ...shown,
      { place: "the server's log", text: editor.log.join('\n') },
      ...filesUnder(path.join(shop.copy.dir, '.smoke-repair')).map((f) => ({ place: `.smoke-repair/${f.place}`, text: f.text })),
      ...stub.requests.map((r, i) => ({ place: `model request ${i + 1}`, text: `${r.method} ${r.path}\n${JSON.stringify(r.headers)}\n${r.raw}` })),
    ];
    assert.ok(places.some((p) => p.place.startsWith('.smoke-repair/runs/') && p.text.includes('"prompts"')), 'the prompts sent are recorded');
    const received = shop.containerLog();
    const notReceived = Object.entries(shop.secrets).filter(([, v]) => !received.includes(v)).map(([k]) => k);
    assert.deepEqual(notReceived, [], 'the app received every planted secret (its container log shows it)');
    const found = findSecrets(shop.secrets, places);
    t.diagnostic(`secrets planted: ${Object.keys(shop.secrets).length}; places searched: ${places.length}; found: ${found.length}`);
    assert.deepEqual(found, []);
  });
});
