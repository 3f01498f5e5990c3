/**
 * Extension-host tests: loaded by the editor's extension host (bundled to JS first), they drive the
 * installed extension through the `vscode` API and throw to fail.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { EXPECTATION_ENV, SNAPSHOT_ENV, SNAPSHOT_REQUEST, parseExpectation, type Expectation } from '../expectation';
import { configTypoIsDiagnosed } from './configDiagnostics';
import { log, poll } from './poll';
import { reportOpens } from './reportDocument';

const EXTENSION_ID = 'smoke-repair.smoke-repair';
const SOURCE = 'smoke-repair';

interface Test {
  name: string;
  fn: () => Promise<void>;
}

export async function run(): Promise<void> {
  const expect = parseExpectation(process.env[EXPECTATION_ENV]);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  const state: { diagnostic?: vscode.Diagnostic } = {};

  const tests: Test[] = [
    { name: 'the extension activates on the example workspace', fn: () => activates(expect) },
    { name: 'smokeRepair.runSmoke runs and reports a summary', fn: () => runsSmoke() },
    { name: 'a smoke-repair diagnostic sits on the faulty line', fn: async () => { state.diagnostic = await diagnosticAppears(folder, expect); } },
    { name: 'its related information points at workspace frames', fn: () => framesInWorkspace(folder, state.diagnostic) },
    {
      name: "the diagnostic's code opens the failure report",
      fn: () => reportOpens(state.diagnostic, [expect.code, expect.file, '## Request', '## Response', '## Trace'], expect.timeoutMs),
    },
    { name: 'a misspelt key in the unsaved config gets a diagnostic that clears on revert', fn: () => configTypoIsDiagnosed(folder, expect.timeoutMs) },
  ];

  const failures: string[] = [];
  for (const t of tests) {
    const started = Date.now();
    try {
      await t.fn();
      log(`ok   ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      log(`FAIL ${t.name} (${Date.now() - started} ms): ${(err as Error).message}`);
      failures.push(`${t.name}: ${(err as Error).message}`);
      if (t.name.startsWith('the extension activates')) break;
    }
  }
  await showResults(failures.length === 0, expect.timeoutMs);
  if (failures.length) throw new Error(`${failures.length} of ${tests.length} failed:\n  ${failures.join('\n  ')}`);
}

/** Opens the Problems panel and lets the harness take a screenshot while the results are shown. */
async function showResults(passed: boolean, timeoutMs: number): Promise<void> {
  const ack = process.env[SNAPSHOT_ENV];
  if (!ack) return;
  await vscode.commands.executeCommand('workbench.actions.view.problems').then(undefined, () => undefined);
  console.log(`${SNAPSHOT_REQUEST} ${passed ? 'passed' : 'failed'}`);
  await poll('the screenshot', Math.min(timeoutMs, 120_000), () => (existsSync(ack) ? true : undefined)).catch((err: Error) =>
    log(`no screenshot: ${err.message}`),
  );
}

async function activates(expect: Expectation): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) {
    const ids = vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id);
    throw new Error(`extension ${EXTENSION_ID} is not installed; non-built-in extensions: ${ids.join(', ') || 'none'}`);
  }
  log(`extension ${ext.id} ${ext.packageJSON.version} at ${ext.extensionUri.toString()}`);
  // Activation is triggered by the workspace (workspaceContains); wait for it, then make sure.
  await poll('the extension to activate', expect.timeoutMs, () => (ext.isActive ? true : undefined));
  await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  if (!commands.includes('smokeRepair.runSmoke')) throw new Error('command smokeRepair.runSmoke is not registered');
}

async function runsSmoke(): Promise<void> {
  const result = await vscode.commands.executeCommand<unknown>('smokeRepair.runSmoke');
  log(`runSmoke returned ${JSON.stringify(result)}`);
  if (result && typeof result === 'object' && 'total' in result) {
    const { total, passed } = result as { total: unknown; passed: unknown };
    if (typeof total !== 'number' || typeof passed !== 'number' || total < 1 || passed > total) {
      throw new Error(`unexpected summary ${JSON.stringify(result)}`);
    }
  }
}

function relative(folder: vscode.WorkspaceFolder, uri: vscode.Uri): string | undefined {
  const root = folder.uri.path.endsWith('/') ? folder.uri.path : `${folder.uri.path}/`;
  return uri.scheme === folder.uri.scheme && uri.path.startsWith(root) ? uri.path.slice(root.length) : undefined;
}

async function diagnosticAppears(folder: vscode.WorkspaceFolder, expect: Expectation): Promise<vscode.Diagnostic> {
  const message = new RegExp(expect.message);
  let seen = '';
  try {
    return await poll(`a ${SOURCE} diagnostic on ${expect.file} matching /${expect.message}/`, expect.timeoutMs, () => {
      const ours = vscode.languages
        .getDiagnostics()
        .flatMap(([uri, ds]) => ds.filter((d) => d.source === SOURCE).map((d) => ({ uri, d })));
      seen = ours.map(({ uri, d }) => `${relative(folder, uri) ?? uri.toString()}:${d.range.start.line + 1} ${d.message}`).join('\n    ');
      return ours.find(({ uri, d }) => relative(folder, uri) === expect.file && message.test(d.message))?.d;
    }).then((d) => {
      log(`diagnostic: ${expect.file}:${d.range.start.line + 1} [${String(typeof d.code === 'object' ? d.code.value : d.code)}] ${d.message}`);
      if (expect.line !== undefined && d.range.start.line + 1 !== expect.line) {
        throw new Error(`diagnostic is on line ${d.range.start.line + 1}; FAULTS.md names line ${expect.line}`);
      }
      if (d.severity !== vscode.DiagnosticSeverity.Error) throw new Error(`severity is ${d.severity}, expected Error`);
      return d;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n    ${SOURCE} diagnostics seen:\n    ${seen || '(none)'}`);
  }
}

async function framesInWorkspace(folder: vscode.WorkspaceFolder, d: vscode.Diagnostic | undefined): Promise<void> {
  if (!d) throw new Error('no diagnostic to inspect (previous test failed)');
  const related = d.relatedInformation ?? [];
  if (related.length === 0) throw new Error('the diagnostic has no relatedInformation (stack frames)');
  const inside = related.filter((r) => relative(folder, r.location.uri) !== undefined);
  for (const r of related) log(`  frame ${relative(folder, r.location.uri) ?? r.location.uri.toString()}:${r.location.range.start.line + 1} ${r.message}`);
  if (inside.length === 0) throw new Error('no related-information frame points into the workspace');
  for (const r of inside) {
    const stat = await vscode.workspace.fs.stat(r.location.uri).then(
      (s) => s,
      () => undefined,
    );
    if (!stat) throw new Error(`frame ${r.location.uri.toString()} points at a file that does not exist`);
    const doc = await vscode.workspace.openTextDocument(r.location.uri);
    if (r.location.range.start.line >= doc.lineCount) {
      throw new Error(`frame ${r.location.uri.toString()} line ${r.location.range.start.line + 1} is past the end (${doc.lineCount} lines)`);
    }
  }
}
