/**
 * The LLM planner in the editor, over stdio against the real server and a real app (a Python HTTP
 * server started by the engine as a process) whose failure no rule can fix. The test plays the
 * editor: with `llm.provider: vscode-lm` it answers the server's `smokeRepair/llmChat` requests as
 * the editor's language model would; with `openai-compatible` it sends the API key from the secret
 * store in `smokeRepair/llmCredentials`, and the scripted chat server checks it arrives.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol/node';
import { applyTextEdits } from '../../server/src/lsp/minimalEdits';
import { FixesPlannedNotification, LlmChatRequest, LlmCredentialsNotification } from '../../server/src/protocol';
import { startLlmStub, type LlmStub } from '../setup/llmStub';
import { buildServer, editorCapabilities, LspEditor, processAppConfig } from '../setup/lspEditor';
import { freePort } from '../setup/net';

const MAIN_PY = `"""A small API on the standard library's HTTP server; failures print a real traceback."""
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from app.pricing import price_in_cents  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            if self.path == "/health":
                return self.reply(200, {"ok": True})
            if self.path == "/price":
                return self.reply(200, {"cents": price_in_cents("12.50")})
            return self.reply(404, {"detail": "Not Found"})
        except Exception:
            traceback.print_exc()
            self.reply(500, {"detail": "Internal Server Error"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

const PRICING_PY = `"""Prices as the shop stores them."""


def price_in_cents(text):
    """A price written with a decimal point, in cents."""
    return int(text) * 100
`;

const FIND = '    return int(text) * 100\n';

/**
 * The plan the editor's model answers with: a modify_code whose `find` occurs once, from a model
 * that is not sure (confidence 0.3): modify_code (+18) and the low confidence (+13) put it over
 * the policy's safe threshold, so a person says yes first.
 */
const llmPlan = {
  root_cause: "price_in_cents parses a decimal price with int(), which raises ValueError for '12.50'",
  category: 'LOGIC',
  confidence: 0.3,
  files: ['app/pricing.py'],
  operations: [
    {
      type: 'modify_code',
      file: 'app/pricing.py',
      rationale: 'parse the decimal price and round to whole cents',
      evidence: ["ValueError: invalid literal for int() with base 10: '12.50'"],
      details: { find: FIND, replace: '    return round(float(text) * 100)\n' },
    },
  ],
  evidence: ['GET /price → 500'],
};

function configText(port: number, llm: string[]): string {
  return processAppConfig(port, {
    concurrency: 1,
    scenarios: [
      { name: 'health', method: 'GET', path: '/health' },
      { name: 'price', method: 'GET', path: '/price', status: 200 },
    ],
    trailer: ['llm:', ...llm.map((l) => `  ${l}`)],
  });
}

async function makeWorkspace(llm: string[]): Promise<string> {
  const ws = mkdtempSync(path.join(tmpdir(), 'smoke-llm-'));
  mkdirSync(path.join(ws, 'app'));
  writeFileSync(path.join(ws, 'app/__init__.py'), '');
  writeFileSync(path.join(ws, 'app/main.py'), MAIN_PY);
  writeFileSync(path.join(ws, 'app/pricing.py'), PRICING_PY);
  writeFileSync(path.join(ws, 'smoke-repair.yaml'), configText(await freePort(), llm));
  return ws;
}

type ChatAnswer = (params: LlmChatRequest.Params) => LlmChatRequest.Result;

/** The editor with a language model: it answers `smokeRepair/llmChat` from a script. */
class Editor extends LspEditor {
  readonly chats: LlmChatRequest.Params[] = [];
  answers: ChatAnswer[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    super({ env, capabilities: editorCapabilities({ documentChanges: true, changeAnnotationSupport: { groupsOnLabel: true } }) });
    this.conn.onRequest(LlmChatRequest.method, (raw: unknown) => {
      const params = LlmChatRequest.paramsSchema.parse(raw);
      this.chats.push(params);
      const answer = this.answers.shift();
      if (!answer) throw new Error('no scripted answer left');
      return answer(params);
    });
  }

  /** Runs smoke and waits for the background planning of that run. */
  async runAndPlan(): Promise<FixesPlannedNotification.Params> {
    const before = this.planned.length;
    const result = await this.runSmoke();
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.violations, 1, 'one failure: GET /price');
    return this.until(() => this.planned[before], 'planning to finish', 120_000);
  }
}

/** The server's environment without any LLM key variable. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SMOKE_REPAIR_LLM_API_KEY;
  return env;
}

before(() => buildServer());

describe('the LLM planner in the editor: vscode-lm', { timeout: 300_000 }, () => {
  let ws: string;
  let editor: Editor;
  const pricing = () => pathToFileURL(path.join(ws, 'app/pricing.py')).href;

  before(async () => {
    ws = await makeWorkspace(['provider: vscode-lm', 'vendor: copilot', 'family: gpt-4o', 'timeoutMs: 20000']);
    editor = new Editor(cleanEnv());
    await editor.initialize(ws);
  });
  after(async () => {
    await editor?.close();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it("asks the editor's model with the failure and the code around the frame, and offers its fix for review", async () => {
    editor.answers = [() => ({ text: JSON.stringify(llmPlan) })];
    const done = await editor.runAndPlan();
    assert.deepEqual(done, { folderUri: pathToFileURL(ws).href, ready: 1, noPlan: 0, safe: 0, cancelled: false });

    assert.equal(editor.chats.length, 1);
    const chat = editor.chats[0]!;
    assert.equal(chat.vendor, 'copilot');
    assert.equal(chat.family, 'gpt-4o');
    assert.equal(chat.temperature, 0);
    assert.equal(chat.responseFormat, 'json');
    assert.equal(chat.messages[0]!.role, 'system');
    const prompt = chat.messages.map((m) => m.content).join('\n');
    assert.match(prompt, /Request: GET \/price/);
    assert.match(prompt, /Expected status: 200; actual status: 500/);
    assert.match(prompt, /ValueError: invalid literal for int\(\) with base 10: '12\.50'/);
    assert.match(prompt, /### app\/pricing\.py, lines 1-6 \(frame price_in_cents, line 6\)/);
    assert.match(prompt, />6 \| {5}return int\(text\) \* 100/);

    const diags = editor.diagnostics.get(pricing()) ?? [];
    assert.equal(diags.length, 1, `the failure is shown at the innermost workspace frame: ${JSON.stringify([...editor.diagnostics.keys()])}`);
    const list = await editor.actions(pricing());
    const apply = list.find((a) => a.title.startsWith('Apply fix:'));
    assert.ok(apply, list.map((a) => `${a.title} ${a.disabled?.reason ?? ''}`).join('\n'));
    assert.equal(apply.title, 'Apply fix: change code in app/pricing.py (needs review)', 'validated in the sandbox, and a person says yes first');
    assert.equal(apply.disabled, undefined);
    assert.equal(apply.isPreferred, undefined);
    const resolved = await editor.resolve(apply);
    const edits = (resolved.edit!.documentChanges as TextDocumentEdit[]).flatMap((c) => c.edits);
    assert.equal(applyTextEdits(PRICING_PY, edits as TextEdit[]), PRICING_PY.replace(FIND, '    return round(float(text) * 100)\n'));
    assert.ok(Object.values(resolved.edit!.changeAnnotations ?? {}).some((a) => a.needsConfirmation), 'the edit needs confirmation');
  });

  it("broken JSON three times: no plan, and the reason is the LLM planner's", async () => {
    editor.chats.length = 0;
    editor.answers = [0, 1, 2].map((i) => () => ({ text: `{"root_cause": "attempt ${i}", ` }));
    const done = await editor.runAndPlan();
    assert.deepEqual({ ready: done.ready, noPlan: done.noPlan }, { ready: 0, noPlan: 1 });
    assert.equal(editor.chats.length, 3, 'one request and two repair retries');
    assert.match(editor.chats[1]!.messages.at(-1)!.content, /not a valid FixPlan/);
    const list = await editor.actions(pricing());
    assert.equal(list.length, 1);
    assert.equal(list[0]!.title, 'No fix for this failure');
    assert.match(list[0]!.disabled!.reason, /^no plan: .*llm: the model's answer was not a valid FixPlan after 3 requests/);
  });
});

describe('the LLM planner in the editor: openai-compatible with the key from the secret store', { timeout: 300_000 }, () => {
  let ws: string;
  let editor: Editor;
  let stub: LlmStub;
  const key = 'sk-from-secret-storage-7f3a9c';

  before(async () => {
    stub = await startLlmStub();
    ws = await makeWorkspace([`baseUrl: ${stub.baseUrl}`, 'model: stub-model', 'timeoutMs: 20000']);
    editor = new Editor(cleanEnv());
    await editor.initialize(ws);
  });
  after(async () => {
    await editor?.close();
    await stub?.close();
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('sends the key as a bearer token, and no log line carries it', async () => {
    await editor.conn.sendNotification(LlmCredentialsNotification.method, { apiKey: key } satisfies LlmCredentialsNotification.Params);
    stub.enqueue({ content: JSON.stringify(llmPlan) });
    const done = await editor.runAndPlan();
    assert.equal(done.ready, 1, editor.log.slice(-20).join('\n'));
    assert.equal(stub.requests.length, 1);
    assert.equal(stub.requests[0]!.headers.authorization, `Bearer ${key}`);
    assert.equal(editor.chats.length, 0, "the editor's model is not asked");
    assert.ok(editor.log.some((l) => /llm: POST .*chat\/completions/.test(l)), 'the request is logged, without the key');
    assert.deepEqual(editor.log.filter((l) => l.includes(key)), []);

    // An empty notification (the key was deleted): no key is sent any more.
    await editor.conn.sendNotification(LlmCredentialsNotification.method, {});
    stub.enqueue({ content: JSON.stringify(llmPlan) });
    await editor.runAndPlan();
    assert.equal(stub.requests.length, 2);
    assert.equal(stub.requests[1]!.headers.authorization, undefined);
    assert.deepEqual(editor.log.filter((l) => l.includes(key)), []);
  });
});
