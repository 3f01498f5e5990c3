import { statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver';
import { ConfigError, EnvironmentError, type Progress, type SmokeReport } from '../engine/model';
import type { RunError, RunFinishedNotification, RunSmokeCommand, RunStartedNotification } from '../protocol';
import { configErrorsToDiagnostics } from './configDiagnostics';
import { buildFolderResults } from './runResults';
import { cachedLineSource } from './sourceText';
import { fileUri } from './violationDiagnostic';
import type { DiagnosticStore } from './diagnosticStore';

/** The part of the engine the language server drives. */
export interface SmokeEngine {
  runSmoke(opts: { workspace: string; configFile?: string; progress?: Progress; signal?: AbortSignal }): Promise<SmokeReport>;
  renderViolationReport(v: SmokeReport['violations'][number], report: SmokeReport): string;
}

export interface WorkspaceFolderRef {
  uri: string;
  /** Absolute file-system path. */
  path: string;
}

/** LSP work-done progress, as the runner uses it. */
export interface RunProgress {
  report(message: string, percentage: number): void;
}

export interface RunnerHost {
  engine: SmokeEngine;
  store: DiagnosticStore;
  started(params: RunStartedNotification.Params): void;
  finished(params: RunFinishedNotification.Params): void;
  showError(message: string): void;
  /** A warning the run went on after (a log source that stopped, an app running another folder's code). */
  showWarning?(message: string): void;
  log(message: string): void;
  /** Text of an open editor buffer, by absolute path. */
  openText(absolutePath: string): string | undefined;
  /** Called after a folder's config file was read successfully, so live checks can refresh. */
  configAccepted(configUri: string): void;
  /** Before a folder's run (e.g. reload the app after fixes were written). Errors are logged, not fatal. */
  prepare?(folder: WorkspaceFolderRef, configFile: string, progress: Progress, signal: AbortSignal): Promise<void>;
  /** After a folder's run produced a report (e.g. plan fixes for its violations). */
  reportReady?(folder: WorkspaceFolderRef, report: SmokeReport, configFile: string): void;
  /**
   * Awaited before the run's result is returned (e.g. keep the text of the files the failures
   * point at, as they were when the run ended, before anyone edits them). Errors are logged.
   */
  settle?(folder: WorkspaceFolderRef, report: SmokeReport, configFile: string): Promise<void>;
}

/** Owner key of a folder's run diagnostics in the store. */
export const runOwner = (folderUri: string) => `run:${folderUri}`;
/** Owner key of a config file's diagnostics (live check and failed runs share it: the latest wins). */
export const configOwner = (configUri: string) => `config:${configUri}`;

/**
 * Runs the engine for workspace folders, one after the other, and turns what comes back into
 * diagnostics, notifications and a summary. Never throws: every failure becomes a structured error.
 */
export class SmokeRunner {
  private readonly reports = new Map<string, SmokeReport>();
  private running = false;

  constructor(
    private readonly host: RunnerHost,
    private configFile: string,
  ) {}

  setConfigFile(configFile: string): void {
    this.configFile = configFile;
  }

  configPathOf(folder: WorkspaceFolderRef): string {
    return path.resolve(folder.path, this.configFile);
  }

  /** Folders that hold the config file. */
  foldersWithConfig(folders: readonly WorkspaceFolderRef[]): WorkspaceFolderRef[] {
    return folders.filter((f) => {
      try {
        return statSync(this.configPathOf(f)).isFile();
      } catch {
        return false;
      }
    });
  }

  get busy(): boolean {
    return this.running;
  }

  async run(folders: readonly WorkspaceFolderRef[], progress: RunProgress, signal: AbortSignal): Promise<RunSmokeCommand.Result> {
    if (this.running) return failure({ kind: 'busy', message: 'A smoke run is already in progress.' });
    if (folders.length === 0) {
      return failure({
        kind: 'noConfig',
        message: `No workspace folder has ${this.configFile}.`,
        remedy: `Create ${this.configFile} in the workspace root (see docs/configuration.md).`,
      });
    }
    this.running = true;
    try {
      this.host.started({ folders: folders.map((f) => f.uri), startedAt: Date.now() });
      let passed = 0;
      let total = 0;
      let violations = 0;
      let firstError: RunError | undefined;
      for (const [i, folder] of folders.entries()) {
        const share = (fraction: number) => Math.round(((i + Math.min(1, Math.max(0, fraction))) / folders.length) * 100);
        progress.report(folders.length > 1 ? `${path.basename(folder.path)}: starting` : 'starting', share(0));
        const engineProgress: Progress = {
          report: (message, fraction) => progress.report(folders.length > 1 ? `${path.basename(folder.path)}: ${message}` : message, share(fraction ?? 0)),
        };
        const outcome = await this.runFolder(folder, engineProgress, signal);
        if (outcome.ok) {
          passed += outcome.finished.passed;
          total += outcome.finished.total;
          violations += outcome.violations;
          this.host.finished(outcome.finished);
        } else {
          firstError ??= outcome.error;
          this.host.finished({ ok: false, folderUri: folder.uri, error: outcome.error });
        }
        if (signal.aborted) break;
      }
      progress.report('done', 100);
      if (firstError) return failure(firstError);
      return { ok: true, passRate: total === 0 ? 0 : passed / total, passed, total, violations, folders: folders.map((f) => f.uri) };
    } finally {
      this.running = false;
    }
  }

  private async runFolder(
    folder: WorkspaceFolderRef,
    progress: Progress,
    signal: AbortSignal,
  ): Promise<{ ok: true; finished: Extract<RunFinishedNotification.Params, { ok: true }>; violations: number } | { ok: false; error: RunError }> {
    const configPath = this.configPathOf(folder);
    const configUri = fileUri(configPath);
    let report: SmokeReport;
    if (this.host.prepare) {
      try {
        await this.host.prepare(folder, this.configFile, progress, signal);
      } catch (err) {
        this.host.log(`${folder.path}: preparing the run failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    try {
      report = await this.host.engine.runSmoke({ workspace: folder.path, configFile: this.configFile, progress, signal });
    } catch (err) {
      return { ok: false, error: this.explain(err, folder, configPath, configUri, signal) };
    }
    try {
      this.host.configAccepted(configUri);
      this.reports.set(folder.uri, report);
      this.host.reportReady?.(folder, report, this.configFile);
      await this.host.settle?.(folder, report, this.configFile).catch((err: Error) => this.host.log(`${folder.path}: after the run: ${err.message}`));
      const lines = cachedLineSource((p) => this.host.openText(p));
      const results = buildFolderResults(report, { folderPath: folder.path, folderUri: folder.uri, configPath, lines });
      this.host.store.replace(runOwner(folder.uri), results.diagnostics);
      this.host.log(`${folder.path}: ${report.passed}/${report.total} passed, ${report.violations.length} violation(s) in ${Math.round(report.durationMs)} ms`);
      for (const w of report.warnings ?? []) {
        this.host.log(`${folder.path}: warning: ${w}`);
        this.host.showWarning?.(`Smoke Repair: ${w}`);
      }
      return { ok: true, finished: results.finished, violations: report.violations.length };
    } catch (err) {
      return { ok: false, error: this.explain(err, folder, configPath, configUri, signal) };
    }
  }

  private explain(err: unknown, folder: WorkspaceFolderRef, configPath: string, configUri: string, signal: AbortSignal): RunError {
    if (err instanceof ConfigError || (err as Error)?.name === 'ConfigError') {
      const ce = err as ConfigError;
      const lines = cachedLineSource((p) => this.host.openText(p));
      const diagnostics = new Map<string, Diagnostic[]>([[configUri, configErrorsToDiagnostics(ce.errors ?? [], (l) => lines(configPath, l))]]);
      this.host.store.replace(configOwner(configUri), diagnostics);
      const first = ce.errors?.[0];
      this.host.log(ce.message);
      return {
        kind: 'config',
        folderUri: folder.uri,
        message: `${path.basename(configPath)} has ${ce.errors?.length ?? 0} problem(s)${first ? `; first at line ${first.line}: ${first.message}` : ''}`,
      };
    }
    if (err instanceof EnvironmentError || (err as Error)?.name === 'EnvironmentError') {
      const ee = err as EnvironmentError;
      this.host.log(`${folder.path}: ${ee.message}\n  ${ee.remedy ?? ''}`);
      this.host.showError(`Smoke Repair: ${ee.message}${ee.remedy ? ` — ${ee.remedy}` : ''}`);
      return { kind: 'environment', folderUri: folder.uri, message: ee.message, remedy: ee.remedy };
    }
    if (signal.aborted) {
      return { kind: 'cancelled', folderUri: folder.uri, message: 'The smoke run was cancelled.' };
    }
    const e = err as Error;
    this.host.log(`${folder.path}: unexpected error: ${e?.stack ?? String(err)}`);
    this.host.showError(`Smoke Repair: the run failed: ${e?.message ?? String(err)} (see the output for details)`);
    return { kind: 'internal', folderUri: folder.uri, message: e?.message ?? String(err) };
  }

  /** The rendered report of a violation of the folder's last run. */
  renderReport(folderUri: string, violationId: string): string {
    const report = this.reports.get(folderUri);
    const v = report?.violations.find((x) => x.id === violationId);
    if (!report || !v) {
      return `# Report not available\n\nNo violation \`${violationId}\` in the last smoke run of this folder. Run the smoke tests again.\n`;
    }
    try {
      return this.host.engine.renderViolationReport(v, report);
    } catch (err) {
      this.host.log(`rendering the report of ${violationId} failed: ${(err as Error)?.stack ?? String(err)}`);
      return `# ${v.message}\n\nThe report could not be rendered: ${(err as Error)?.message ?? String(err)}\n`;
    }
  }
}

function failure(error: RunError): RunSmokeCommand.Result {
  return { ok: false, error };
}

