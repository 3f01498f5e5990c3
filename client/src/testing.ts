import * as vscode from 'vscode';
import type { RunFinishedNotification, WireScenario } from '../../server/src/protocol';

type FinishedOk = Extract<RunFinishedNotification.Params, { ok: true }>;

/** `TestMessageStackFrame` arrived in VS Code 1.93; the extension supports 1.91, so it is looked up at run time. */
type StackFrameCtor = new (label: string, uri?: vscode.Uri, position?: vscode.Position) => unknown;

/**
 * The Test Explorer view of the smoke scenarios: one TestItem per scenario (under a folder item
 * when several folders run), a run profile that runs the smoke command, and failures with the
 * expected and actual status, the diagnostic's location and the server's stack frames.
 */
export class SmokeTesting implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController('smokeRepair', 'Smoke Repair');
  private activeRun: vscode.TestRun | undefined;

  constructor(private readonly runSmoke: () => Promise<unknown>) {
    this.controller.createRunProfile('Run smoke tests', vscode.TestRunProfileKind.Run, (request, token) => this.runFromExplorer(request, token), true);
    this.controller.refreshHandler = async () => {
      await this.runSmoke();
    };
  }

  private async runFromExplorer(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request, 'Smoke tests', true);
    this.activeRun = run;
    const items: vscode.TestItem[] = [];
    this.controller.items.forEach((i) => items.push(...(i.children.size > 0 ? childrenOf(i) : [i])));
    for (const item of items) run.enqueued(item);
    try {
      if (!token.isCancellationRequested) await this.runSmoke();
    } finally {
      this.activeRun = undefined;
      run.end();
    }
  }

  /** Records a folder's results: in the Test Explorer run if one is active, else in a run of its own. */
  finished(params: RunFinishedNotification.Params, multiFolder: boolean): void {
    if (!params.ok) {
      if (this.activeRun) this.activeRun.appendOutput(`${params.error.message}${params.error.remedy ? `\r\n${params.error.remedy}` : ''}\r\n`);
      return;
    }
    const parent = this.upsertItems(params, multiFolder);
    const run = this.activeRun ?? this.controller.createTestRun(new vscode.TestRunRequest(), 'Smoke tests', false);
    for (const s of params.scenarios) {
      const item = parent.get(s.id);
      if (!item) continue;
      if (s.ok) run.passed(item, s.durationMs);
      else run.failed(item, this.messageOf(s), s.durationMs);
    }
    if (!this.activeRun) run.end();
  }

  private upsertItems(params: FinishedOk, multiFolder: boolean): vscode.TestItemCollection {
    let collection = this.controller.items;
    if (multiFolder) {
      const folderUri = vscode.Uri.parse(params.folderUri);
      let folderItem = this.controller.items.get(params.folderUri);
      if (!folderItem) {
        folderItem = this.controller.createTestItem(params.folderUri, folderUri.path.split('/').pop() ?? params.folderUri, folderUri);
        this.controller.items.add(folderItem);
      }
      collection = folderItem.children;
    }
    const seen = new Set<string>();
    for (const s of params.scenarios) {
      seen.add(s.id);
      const uri = s.location ? vscode.Uri.parse(s.location.uri) : undefined;
      let item = collection.get(s.id);
      // A TestItem's uri is fixed at creation: recreate the item when its failure moved to another file.
      if (item && uri && item.uri?.toString() !== uri.toString()) {
        collection.delete(s.id);
        item = undefined;
      }
      if (!item) {
        item = this.controller.createTestItem(s.id, s.name, uri);
        collection.add(item);
      }
      item.description = `${s.method} ${s.path}`;
      if (s.location && uri) item.range = new vscode.Range(s.location.line, s.location.character, s.location.line, s.location.character);
    }
    collection.forEach((item) => {
      if (!seen.has(item.id)) collection.delete(item.id);
    });
    return collection;
  }

  private messageOf(s: WireScenario): vscode.TestMessage {
    const text = s.message ?? `${s.method} ${s.path} → ${s.status} (expected ${s.expectedStatus})`;
    const message =
      s.status !== s.expectedStatus
        ? vscode.TestMessage.diff(text, `HTTP ${s.expectedStatus}`, `HTTP ${s.status}`)
        : new vscode.TestMessage(text);
    if (s.location) {
      message.location = new vscode.Location(vscode.Uri.parse(s.location.uri), new vscode.Position(s.location.line, s.location.character));
    }
    const StackFrame = (vscode as unknown as { TestMessageStackFrame?: StackFrameCtor }).TestMessageStackFrame;
    if (StackFrame && s.frames.length > 0) {
      // The wire carries the most recent call last; a call stack shows it first.
      (message as unknown as { stackTrace: unknown[] }).stackTrace = [...s.frames]
        .reverse()
        .map((f) => new StackFrame(`${f.function} (${f.file}:${f.line + 1})`, f.uri ? vscode.Uri.parse(f.uri) : undefined, f.uri ? new vscode.Position(f.line, 0) : undefined));
    }
    return message;
  }

  dispose(): void {
    this.controller.dispose();
  }
}

function childrenOf(item: vscode.TestItem): vscode.TestItem[] {
  const out: vscode.TestItem[] = [];
  item.children.forEach((c) => out.push(c));
  return out;
}
