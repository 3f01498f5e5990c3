/**
 * Code action latency and language server memory with 1,000 diagnostics open.
 *   node --import tsx bench/codeActions.bench.ts [scenarios=1000] [requests=2000] [files=4]
 * Builds the server (`node esbuild.mjs`), spawns `dist/server.js --stdio` and drives it as an
 * editor would over the protocol. The workspace is a temp folder holding a Python HTTP server
 * (run by the engine as `app.process`) whose handlers are spread over `files` source files; every
 * scenario `GET /s/<n>` answers 500 with a real traceback ending at its handler's line (a KeyError
 * naming n; every other handler's line also compares with `!= None`, which the anti-pattern
 * catalog plans a fix for, so the cache holds both ready fixes and "no plan" entries).
 * `validation: { scenarios: false }` keeps each background validation to apply + parse.
 * After the run: wait for the diagnostics, open the source documents, then send `requests`
 * `textDocument/codeAction` requests (one at a time, as the editor does when the cursor moves) at
 * random diagnostic ranges: half while background planning still runs, half after it finished.
 * Budget (DESIGN): p99 under 20 ms; server resident memory under 150 MB. The server runs with the
 * node flags the editor starts it with (SERVER_NODE_FLAGS); `SERVER_NODE_ARGS="..."` replaces them
 * (`SERVER_NODE_ARGS=""` for node's defaults, a heap limit to see how much of the RSS is live data).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol/node';
import { buildServer, editorCapabilities, LspEditor, processAppConfig, type ScenarioLines } from '../test/setup/lspEditor';
import { freePort } from '../test/setup/net';
import { SERVER_NODE_FLAGS } from '../server/src/protocol';

const SCENARIOS = Number(process.argv[2] ?? 1000);
const REQUESTS = Number(process.argv[3] ?? 2000);
const FILES = Number(process.argv[4] ?? 4);
/** node flags for the server process: those the editor uses, unless SERVER_NODE_ARGS names others (e.g. "" for none). */
const SERVER_NODE_ARGS = process.env.SERVER_NODE_ARGS === undefined ? [...SERVER_NODE_FLAGS] : process.env.SERVER_NODE_ARGS.split(' ').filter(Boolean);

// ---------------------------------------------------------------- the app under test

function handlerFile(index: number): string {
  const lines = ['"""Handlers of one part of the benchmark app."""', '', 'LOOKUP = {}', ''];
  for (let n = index; n < SCENARIOS; n += FILES) {
    lines.push('', `def h_${n}():`);
    lines.push(n % 2 === 0 ? `    return LOOKUP[${n}]` : `    return LOOKUP[${n}] if LOOKUP != None else None`);
  }
  return `${lines.join('\n')}\n`;
}

const MAIN = `"""Benchmark app: GET /s/<n> calls handler n, which raises KeyError(n)."""
import importlib
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ${FILES}
PARTS = [importlib.import_module(f"app.part{i}") for i in range(FILES)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        try:
            if self.path == "/health":
                return self.reply(200, {"ok": True})
            if self.path.startswith("/s/"):
                n = int(self.path[3:])
                return self.reply(200, getattr(PARTS[n % FILES], f"h_{n}")())
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

function configText(port: number): string {
  const scenarios: ScenarioLines[] = [{ name: 'health', method: 'GET', path: '/health', status: 200 }];
  for (let n = 0; n < SCENARIOS; n++) scenarios.push({ name: `s${n}`, method: 'GET', path: `/s/${n}`, status: 200 });
  return processAppConfig(port, { concurrency: 1, sections: ['validation:', '  scenarios: false'], scenarios });
}

// ---------------------------------------------------------------- the editor side

function newClient(): LspEditor {
  return new LspEditor({
    nodeArgs: SERVER_NODE_ARGS,
    capabilities: editorCapabilities({ documentChanges: true }),
    pollMs: 20,
    logTail: 20,
    shutdownMs: 5000,
    exitMs: 5000,
  });
}

/** VmHWM (peak) and VmRSS (now) of a process, in MB. */
function memoryOf(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

function percentiles(times: number[]): string {
  if (times.length === 0) return 'no requests';
  const s = [...times].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!.toFixed(2);
  return `n=${s.length} p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms, max ${s.at(-1)!.toFixed(2)} ms`;
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const env = process.env.SERVER_NODE_ARGS !== undefined ? `SERVER_NODE_ARGS="${process.env.SERVER_NODE_ARGS}" ` : '';
  console.log(`command: ${env}node --import tsx bench/codeActions.bench.ts${args.length ? ` ${args.join(' ')}` : ''}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}`);
  buildServer();

  const ws = mkdtempSync(path.join(tmpdir(), 'codeactions-bench-'));
  let client: LspEditor | undefined;
  try {
    mkdirSync(path.join(ws, 'app'));
    writeFileSync(path.join(ws, 'app/__init__.py'), '');
    writeFileSync(path.join(ws, 'app/main.py'), MAIN);
    for (let i = 0; i < FILES; i++) writeFileSync(path.join(ws, `app/part${i}.py`), handlerFile(i));
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), configText(await freePort()));

    client = newClient();
    const c = client;
    await c.initialize(ws);
    const pid = c.child.pid!;
    const idle = memoryOf(pid);

    let t0 = performance.now();
    const result = await c.runSmoke();
    const runMs = performance.now() - t0;
    if (!result.ok) throw new Error(`the run failed: ${JSON.stringify(result)}`);
    const partUris = Array.from({ length: FILES }, (_, i) => pathToFileURL(path.join(ws, `app/part${i}.py`)).href);
    const count = () => partUris.reduce((n, u) => n + (c.diagnostics.get(u)?.length ?? 0), 0);
    await c.until(() => count() >= SCENARIOS, `${SCENARIOS} diagnostics (have ${count()})`, 120_000);
    const diagnosticsMs = performance.now() - t0;
    const afterRun = memoryOf(pid);
    console.log(`run: ${result.violations} violations of ${result.total} scenarios in ${runMs.toFixed(0)} ms; ${count()} diagnostics in ${FILES} files after ${diagnosticsMs.toFixed(0)} ms`);

    for (const uri of partUris) await c.open(uri, 1);
    const all: Array<{ uri: string; d: Diagnostic }> = partUris.flatMap((uri) => (c.diagnostics.get(uri) ?? []).map((d) => ({ uri, d })));

    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const kinds = new Map<string, number>();
    const ask = async (): Promise<number> => {
      const { uri, d } = all[Math.floor(rnd() * all.length)]!;
      const start = performance.now();
      const actions = (await c.conn.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: d.range,
        context: { diagnostics: [d], triggerKind: 2 },
      })) as CodeAction[];
      const ms = performance.now() - start;
      const title = actions[0]?.title.replace(/:.*/, '') ?? '(none)';
      kinds.set(title, (kinds.get(title) ?? 0) + 1);
      return ms;
    };

    // While planning runs: up to half the requests, as long as planning lasts.
    const during: number[] = [];
    const half = Math.floor(REQUESTS / 2);
    while (c.planned.length === 0 && during.length < half) during.push(await ask());
    const askedDuring = during.length;
    const planned = await c.until(() => c.planned.at(-1), 'planning to finish', 1_800_000);
    const planningMs = performance.now() - t0 - runMs;
    const after: number[] = [];
    while (during.length + after.length < REQUESTS) after.push(await ask());
    const end = memoryOf(pid);

    console.log(`planning: ${planned.ready} ready (${planned.safe} safe), ${planned.noPlan} no plan, in about ${(planningMs / 1000).toFixed(1)} s after the run`);
    console.log(`codeAction while planning: ${percentiles(during)}${askedDuring < half ? ' (planning finished first)' : ''}`);
    console.log(`codeAction after planning: ${percentiles(after)}`);
    console.log(`codeAction overall:        ${percentiles([...during, ...after])} (budget p99 20 ms)`);
    console.log(`first action titles: ${[...kinds].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    console.log(
      `server memory (MB): idle RSS ${idle.rss.toFixed(0)}; after the run RSS ${afterRun.rss.toFixed(0)}; at the end RSS ${end.rss.toFixed(0)}, peak (VmHWM) ${end.peak.toFixed(0)} (budget 150)`,
    );
  } finally {
    await client?.close();
    rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
