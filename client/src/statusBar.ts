import * as vscode from 'vscode';
import { CommandIds, type RunFinishedNotification } from '../../server/src/protocol';

/** Text once the language server is ready; end-to-end tests wait for exactly this. */
export const READY_TEXT = 'Smoke ready';

/** `Smoke 8/12 (67%)` */
export function summaryText(passed: number, total: number): string {
  const pct = total === 0 ? 0 : Math.round((passed / total) * 100);
  return `Smoke ${passed}/${total} (${pct}%)`;
}

/** The status bar item: readiness, then the latest pass rate; a click runs the smoke tests. */
export class SmokeStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('smokeRepair.status', vscode.StatusBarAlignment.Left, 10);
  private readonly results = new Map<string, RunFinishedNotification.Params>();

  constructor() {
    this.item.name = 'Smoke Repair';
    this.item.command = CommandIds.runSmoke;
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.set('$(loading~spin) Smoke', 'Smoke Repair: starting the language server');
  }

  stopped(): void {
    this.set('$(circle-slash) Smoke', 'Smoke Repair: the language server is not running. Click to run the smoke tests (starts it).');
  }

  untrusted(): void {
    this.set('$(shield) Smoke', 'Smoke Repair runs nothing in an untrusted workspace. Trust the workspace to run smoke tests.');
  }

  ready(): void {
    if (this.results.size > 0) this.showResults();
    else this.set(READY_TEXT, 'Smoke Repair is ready. Click to run the smoke tests.');
  }

  running(): void {
    this.set('$(sync~spin) Smoke running', 'Smoke Repair: running the smoke tests');
  }

  finished(params: RunFinishedNotification.Params): void {
    this.results.set(params.folderUri, params);
    this.showResults();
  }

  private showResults(): void {
    let passed = 0;
    let total = 0;
    const errors: string[] = [];
    const lines: string[] = [];
    for (const r of this.results.values()) {
      const folder = vscode.Uri.parse(r.folderUri).path.split('/').pop() ?? r.folderUri;
      if (r.ok) {
        passed += r.passed;
        total += r.total;
        lines.push(`${folder}: ${r.passed}/${r.total} passed in ${(r.durationMs / 1000).toFixed(1)} s`);
        for (const s of r.scenarios.filter((x) => !x.ok).slice(0, 5)) lines.push(`  ✗ ${s.method} ${s.path}: ${s.message ?? `${s.status}`}`);
      } else {
        errors.push(`${folder}: ${r.error.message}${r.error.remedy ? ` (${r.error.remedy})` : ''}`);
      }
    }
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendText([...lines, ...errors, '', 'Click to run the smoke tests again.'].join('\n'));
    if (errors.length > 0 && total === 0) {
      this.set('$(warning) Smoke error', tooltip, 'statusBarItem.errorBackground');
      return;
    }
    const failing = total - passed;
    const background = errors.length > 0 || failing > 0 ? (failing > 0 ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    this.set(summaryText(passed, total), tooltip, background);
  }

  private set(text: string, tooltip: string | vscode.MarkdownString, background?: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
