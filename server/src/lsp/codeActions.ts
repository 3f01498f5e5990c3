import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic } from 'vscode-languageserver';
import { CommandIds, DIAGNOSTIC_SOURCE, FIX_ALL_KIND, fixActionDataSchema, type FixActionData } from '../protocol';
import { fixTitle, type FixCache, type ReadyFix } from './fixCache';
import type { ViolationDiagnosticData } from './violationDiagnostic';

/**
 * Listing code actions: reads the FixCache only (no file reads, no diffs), so it stays cheap with
 * many diagnostics. Per smoke-repair diagnostic in the range:
 * - a fix is ready: "Apply fix: … (safe, validated | needs review)" (resolvable: its edit is
 *   computed in `codeAction/resolve`; preferred only when safe and validated) and
 *   "Preview fix: … (…)" (opens the plan and the diffs); an unvalidated fix is previewable, and its
 *   apply action is disabled with the reason: no validation, no apply;
 * - planning still runs: a disabled "Planning a fix…";
 * - no plan: a disabled action whose reason is the engine's "no plan because …".
 * And `source.fixAll.smokeRepair` (when the client supports the kind) for every safe, validated
 * fix that touches the document or fixes a failure shown in it.
 */

export interface ListContext {
  cache: FixCache;
  /** Whether the client listed `source.fixAll.smokeRepair` among its supported kinds. */
  fixAllSupported: boolean;
  /** The smoke-repair diagnostics published for a document (for fix-all). */
  publishedFor(uri: string): Diagnostic[];
  /** Workspace-relative path of a document in a folder, or undefined when it is outside. */
  relativePath(folderUri: string, uri: string): string | undefined;
}

export function violationData(d: Diagnostic): ViolationDiagnosticData | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE) return undefined;
  const data = d.data as Partial<ViolationDiagnosticData> | undefined;
  return typeof data?.violationId === 'string' && typeof data.folderUri === 'string' ? { violationId: data.violationId, folderUri: data.folderUri } : undefined;
}

function wants(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export function listCodeActions(params: CodeActionParams, ctx: ListContext): CodeAction[] {
  const only = params.context.only;
  const out: CodeAction[] = [];
  if (wants(only, CodeActionKind.QuickFix)) {
    for (const d of params.context.diagnostics) {
      const data = violationData(d);
      if (!data) continue;
      out.push(...quickFixes(d, data, ctx.cache));
    }
  }
  if (ctx.fixAllSupported && only?.length && wants(only, FIX_ALL_KIND)) {
    const all = fixAllAction(params.textDocument.uri, ctx);
    if (all) out.push(all);
  }
  return out;
}

function quickFixes(d: Diagnostic, data: ViolationDiagnosticData, cache: FixCache): CodeAction[] {
  const entry = cache.get(data.folderUri, data.violationId);
  if (!entry) return [];
  if (entry.state === 'planning') {
    return [{ title: 'Planning a fix…', kind: CodeActionKind.QuickFix, diagnostics: [d], disabled: { reason: 'Smoke Repair is still planning and validating a fix for this failure.' } }];
  }
  if (entry.state === 'none') {
    return [{ title: 'No fix for this failure', kind: CodeActionKind.QuickFix, diagnostics: [d], disabled: { reason: entry.reason } }];
  }
  const base: Omit<FixActionData, 'action'> = { folderUri: entry.folderUri, violationId: entry.violationId, fixId: entry.fixId };
  const apply: CodeAction = { title: fixTitle('Apply fix', entry), kind: CodeActionKind.QuickFix, diagnostics: [d], data: { ...base, action: 'apply' } satisfies FixActionData };
  if (entry.status.kind === 'safe') apply.isPreferred = true;
  if (entry.status.kind === 'unvalidated') apply.disabled = { reason: `${entry.status.text}: no validation, no apply. Open the preview to see why.` };
  const preview: CodeAction = {
    title: fixTitle('Preview fix', entry),
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    data: { ...base, action: 'preview' } satisfies FixActionData,
    command: { title: 'Preview fix', command: CommandIds.previewFix, arguments: [{ fixId: entry.fixId }] },
  };
  return [apply, preview];
}

function fixAllAction(uri: string, ctx: ListContext): CodeAction | undefined {
  const published = ctx.publishedFor(uri).map(violationData).filter((x): x is ViolationDiagnosticData => x !== undefined);
  const shown = new Set(published.map((p) => `${p.folderUri}\u0000${p.violationId}`));
  const fixes: ReadyFix[] = [];
  for (const e of ctx.cache.entries()) {
    if (e.state !== 'ready' || e.status.kind !== 'safe') continue;
    const rel = ctx.relativePath(e.folderUri, uri);
    const touches = rel !== undefined && e.planned.patch.files.some((f) => f.file === rel);
    if (touches || shown.has(`${e.folderUri}\u0000${e.violationId}`)) fixes.push(e);
  }
  if (fixes.length === 0) return undefined;
  return {
    title: `Fix all validated smoke failures (${fixes.length})`,
    kind: FIX_ALL_KIND,
    data: { folderUri: fixes[0]!.folderUri, action: 'fixAll', uri, fixIds: fixes.map((f) => f.fixId) } satisfies FixActionData,
  };
}

export function parseActionData(action: CodeAction): FixActionData | undefined {
  const parsed = fixActionDataSchema.safeParse(action.data);
  return parsed.success ? parsed.data : undefined;
}
