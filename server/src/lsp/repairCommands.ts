import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CodeAction, WorkspaceEdit } from 'vscode-languageserver';
import { checkpointPath, CHECKPOINT_DIR, listCheckpoints, saveCheckpoint, sha256, writeFileAtomic, type StoredCheckpoint } from '../engine/apply';
import { reversePatch } from '../engine/patch';
import { writeRecord } from '../engine/records';
import { learnFromRecords, learningOf, patternStoreFor } from '../engine/learn';
import type { Checkpoint, RepairRecord } from '../engine/contracts';
import { violationSummary } from '../engine/repair';
import {
  CommandIds,
  patchedUri,
  type ApplyFixCommand,
  type FixActionData,
  type FixDetailsRequest,
  type RepairFailuresCommand,
  type RollbackLastFixCommand,
  type SaveDocumentsRequest,
} from '../protocol';
import { fixTitle, type FixCache, type ReadyFix } from './fixCache';
import type { BackgroundPlanner } from './fixPlanner';
import { fileUri } from './violationDiagnostic';
import {
  changesToWorkspaceEdit,
  currentFile,
  disjointFixes,
  fixChanges,
  reviewAnnotation,
  staleFiles,
  type DocumentLookup,
  type EditCapabilities,
} from './workspaceEdits';

/**
 * Applying fixes in the editor and rolling them back. Every apply stores a checkpoint (the before
 * contents, `.smoke-repair/checkpoints/`) before the edit reaches the editor, goes through
 * `workspace/applyEdit` (buffers, undo and dirty state stay coherent), asks the client to save the
 * changed documents (the app only sees saved files), checks the bytes on disk, and writes a
 * RepairRecord (`.smoke-repair/runs/`). A file that changed since the plan was made is refused and
 * the fix planned again.
 */

export interface EditorHost {
  docs: DocumentLookup;
  caps: () => EditCapabilities;
  applyEdit(label: string, edit: WorkspaceEdit): Promise<{ applied: boolean; failureReason?: string }>;
  saveDocuments(uris: string[]): Promise<SaveDocumentsRequest.Result | undefined>;
  log(message: string): void;
  /** Files written in a folder: the app is reloaded before the next smoke run. */
  changed(folderUri: string, files: string[]): void;
}

/** Pending checkpoints (staged when a code action is resolved) live here until the editor says it applied the edit. */
const PENDING_DIR = path.join(CHECKPOINT_DIR, 'pending');

function checkpointId(now: number): string {
  return `cp-${new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '')}-${randomBytes(3).toString('hex')}`;
}

export class FixService {
  constructor(
    private readonly cache: FixCache,
    private readonly planner: BackgroundPlanner,
    private readonly host: EditorHost,
  ) {}

  // ------------------------------------------------------------ code action resolve

  /** Fills in the edit of an apply or fix-all action; a stale fix gets no edit and is planned again. */
  async resolve(action: CodeAction, data: FixActionData): Promise<CodeAction> {
    if (data.action === 'preview') return action;
    const ids = data.action === 'fixAll' ? (data.fixIds ?? []) : data.fixId ? [data.fixId] : [];
    const fixes = ids.map((id) => this.cache.fix(id)).filter((f): f is ReadyFix => f !== undefined);
    const usable = fixes.filter((f) => f.status.kind === 'safe' || (data.action === 'apply' && f.status.kind === 'review'));
    if (usable.length === 0) {
      return { ...action, disabled: { reason: 'This fix is no longer available: run the smoke tests again.' } };
    }
    const fresh: ReadyFix[] = [];
    for (const f of usable) {
      const stale = staleFiles(f, this.host.docs);
      if (stale.length === 0) fresh.push(f);
      else void this.planner.replan(f.folderUri, f.violationId);
    }
    if (fresh.length === 0) {
      return {
        ...action,
        title: `${action.title} (stale)`,
        data: { ...data, stale: true },
        disabled: { reason: `${staleFiles(usable[0]!, this.host.docs).join(', ')} changed since the fix was planned (save it if it has unsaved edits); planning again.` },
      };
    }
    const { chosen } = disjointFixes(fresh);
    const review = chosen.find((f) => f.status.kind === 'review');
    const built = changesToWorkspaceEdit(chosen[0]!.folderPath, fixChanges(chosen), this.host.docs, this.host.caps(), review ? { annotation: reviewAnnotation(review) } : {});
    if (!built.ok) return { ...action, disabled: { reason: built.message } };
    for (const f of chosen) await this.stageCheckpoint(f);
    return {
      ...action,
      edit: built.edit,
      command: { title: 'Record the applied fix', command: CommandIds.fixApplied, arguments: [{ fixIds: chosen.map((f) => f.fixId) }] },
    };
  }

  private async stageCheckpoint(fix: ReadyFix): Promise<void> {
    const file = path.join(fix.folderPath, PENDING_DIR, `${fix.fixId}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(this.checkpointOf(fix), null, 2) + '\n');
  }

  private checkpointOf(fix: ReadyFix): Checkpoint {
    const now = Date.now();
    return {
      id: checkpointId(now),
      createdAt: now,
      fixId: fix.fixId,
      files: fix.planned.patch.files.map((f) => ({ file: f.file, before: f.before, afterHash: sha256(f.after) })),
      reverseDiff: reversePatch(fix.planned.patch).diff,
    };
  }

  /** The editor applied the edits of a resolved action: keep the staged checkpoints, record, save. */
  async fixApplied(fixIds: string[]): Promise<void> {
    for (const id of fixIds) {
      const fix = this.cache.fix(id);
      if (!fix) continue;
      const pending = path.join(fix.folderPath, PENDING_DIR, `${id}.json`);
      let checkpoint: Checkpoint;
      try {
        checkpoint = JSON.parse(await readFile(pending, 'utf8')) as Checkpoint;
        await rename(pending, checkpointPath(fix.folderPath, checkpoint.id));
      } catch (err) {
        this.host.log(`no staged checkpoint for ${id}: ${(err as Error).message}`);
        continue;
      }
      await this.settle(fix, checkpoint, fix.status.kind === 'safe' ? 'applied in the editor: safe and validated' : "applied in the editor after a person's yes (needs review)");
    }
  }

  // ------------------------------------------------------------ server-side apply

  async applyFix(fixId: string, confirmed: boolean): Promise<ApplyFixCommand.Result> {
    const fix = this.cache.fix(fixId);
    const fail = (code: Extract<ApplyFixCommand.Result, { ok: false }>['code'], message: string): ApplyFixCommand.Result => ({ ok: false, fixId, code, message });
    if (!fix) return fail('unknown', `no fix "${fixId}" (run the smoke tests again)`);
    if (fix.status.kind === 'unvalidated') return fail('unvalidated', `${fix.summary}: ${fix.status.text}; no validation, no apply`);
    if (fix.status.kind === 'review' && !confirmed) return fail('needsConfirmation', `${fix.summary} needs review: ${reviewAnnotation(fix).description}`);
    const stale = staleFiles(fix, this.host.docs);
    if (stale.length) {
      void this.planner.replan(fix.folderUri, fix.violationId);
      return fail('stale', `${stale.join(', ')} changed since the fix was planned; nothing was written and the fix is being planned again`);
    }
    const built = changesToWorkspaceEdit(fix.folderPath, fixChanges([fix]), this.host.docs, this.host.caps());
    if (!built.ok) return fail('failed', built.message);
    const checkpoint = this.checkpointOf(fix);
    await saveCheckpoint(fix.folderPath, checkpoint);
    let result: { applied: boolean; failureReason?: string };
    try {
      result = await this.host.applyEdit(`Smoke Repair: ${fix.summary}`, built.edit);
    } catch (err) {
      result = { applied: false, failureReason: (err as Error).message };
    }
    if (!result.applied) {
      await rm(checkpointPath(fix.folderPath, checkpoint.id), { force: true });
      return fail('rejected', `the editor did not apply the edit${result.failureReason ? `: ${result.failureReason}` : ''}`);
    }
    const recordFile = await this.settle(fix, checkpoint, confirmed && fix.status.kind === 'review' ? "applied after a person's yes (needs review, validated)" : `applied: safe (danger score ${fix.planned.patchPolicy.dangerScore}) and validated`);
    return { ok: true, fixId, files: checkpoint.files.map((f) => f.file), checkpointId: checkpoint.id, recordFile };
  }

  /** After the edit: save, make sure the disk holds exactly the patched bytes, record, and plan what the change made stale. */
  private async settle(fix: ReadyFix, checkpoint: Checkpoint, reason: string): Promise<string> {
    const files = fix.planned.patch.files;
    await this.saveExactly(fix.folderPath, files.map((f) => ({ file: f.file, content: f.after })));
    this.host.changed(fix.folderUri, files.map((f) => f.file));
    this.planner.noteApplied(fix.folderUri, files);
    const report = this.planner.report(fix.folderUri);
    const v = fix.planned.violation;
    const record: RepairRecord = {
      id: `editor-${randomBytes(4).toString('hex')}`,
      createdAt: Date.now(),
      violation: violationSummary(v),
      planner: fix.planned.fix.planner,
      plan: fix.planned.fix.plan,
      planPolicy: fix.planned.planPolicy,
      patchPolicy: fix.planned.patchPolicy,
      diff: fix.planned.patch.diff,
      diffStats: fix.planned.patch.stats,
      ...(fix.validation ? { validation: fix.validation } : {}),
      applied: true,
      reason,
      checkpointId: checkpoint.id,
      passRateBefore: report?.passRate ?? 0,
      timings: {
        plan: fix.planned.timings.plan,
        policy: fix.planned.timings.policy,
        ...(fix.planned.timings.patch !== undefined ? { patch: fix.planned.timings.patch } : {}),
        ...(fix.validation ? { validate: fix.validation.steps.reduce((n, s) => n + s.durationMs, 0) } : {}),
      },
      ...(fix.planned.prompts?.length ? { prompts: fix.planned.prompts } : {}),
    };
    const recordFile = await writeRecord(fix.folderPath, record);
    // A quick fix a person applied teaches like any applied fix; learning never fails the apply.
    await learnApplied(fix.folderPath, record).catch((err: Error) => this.host.log(`${fix.folderPath}: not learned from ${record.id}: ${err.message}`));
    this.cache.set({ state: 'none', folderUri: fix.folderUri, violationId: fix.violationId, reason: 'The fix was applied: run the smoke tests again to confirm.' });
    // Other fixes planned against the files just changed are stale now: plan them again.
    const changed = new Set(files.map((f) => f.file));
    for (const e of this.cache.entries(fix.folderUri)) {
      if (e.state === 'ready' && e.planned.patch.files.some((f) => changed.has(f.file))) void this.planner.replan(e.folderUri, e.violationId);
    }
    return recordFile;
  }

  /**
   * Asks the client to save the documents, then checks the disk: a file whose bytes are not the
   * expected ones (the editor normalised line endings, or could not save) is written atomically
   * with the exact bytes when its buffer is not dirty with other edits.
   */
  private async saveExactly(folderPath: string, files: Array<{ file: string; content: string | null }>): Promise<void> {
    const uris = files.map((f) => fileUri(path.join(folderPath, f.file)));
    let saved: SaveDocumentsRequest.Result | undefined;
    try {
      saved = await this.host.saveDocuments(uris);
    } catch (err) {
      this.host.log(`saving the changed documents failed: ${(err as Error).message}`);
    }
    for (const f of saved?.failed ?? []) this.host.log(`could not save ${f.uri}: ${f.reason}`);
    for (const f of files) {
      const abs = path.join(folderPath, f.file);
      let disk: string | null;
      try {
        disk = await readFile(abs, 'utf8');
      } catch {
        disk = null;
      }
      if (disk === f.content) continue;
      const open = this.host.docs(fileUri(abs));
      if (open && open.text !== f.content && open.text.replace(/\r\n/g, '\n') !== (f.content ?? '').replace(/\r\n/g, '\n')) {
        this.host.log(`${f.file}: the editor holds other changes; it was not written on disk`);
        continue;
      }
      if (f.content === null) await rm(abs, { force: true });
      else await writeFileAtomic(abs, f.content);
      this.host.log(`${f.file}: written with the exact bytes of the fix`);
    }
  }

  // ------------------------------------------------------------ repair failures

  async repairFailures(folderUri: string, passRateBefore: number): Promise<RepairFailuresCommand.Result> {
    await this.planner.whenIdle(folderUri);
    const applied: RepairFailuresCommand.Result['applied'] = [];
    const skipped: RepairFailuresCommand.Result['skipped'] = [];
    const needsReview = new Map<string, RepairFailuresCommand.Result['needsReview'][number]>();
    // Up to two rounds: a fix made stale by an earlier apply is planned again and tried once more.
    const tried = new Set<string>();
    for (let round = 0; round < 3; round++) {
      let progress = false;
      for (const e of this.cache.entries(folderUri)) {
        if (e.state !== 'ready' || tried.has(e.violationId)) continue;
        if (e.status.kind === 'review') {
          needsReview.set(e.violationId, { fixId: e.fixId, title: fixTitle('Apply fix', e), reasons: (reviewAnnotation(e).description ?? '').split('; ') });
          continue;
        }
        if (e.status.kind !== 'safe') continue;
        // An earlier apply in this round may have sent this fix back to planning (it touched the
        // same file): the next round takes the fix planned afresh.
        const current = this.cache.get(folderUri, e.violationId);
        if (current?.state !== 'ready' || current.fixId !== e.fixId) {
          progress = true;
          continue;
        }
        const r = await this.applyFix(e.fixId, false);
        if (r.ok) {
          tried.add(e.violationId);
          applied.push({ fixId: e.fixId, title: fixTitle('Apply fix', e) });
          progress = true;
        } else if (r.code !== 'stale') {
          tried.add(e.violationId);
          skipped.push({ violationId: e.violationId, reason: r.message });
        } else progress = true;
      }
      await this.planner.whenIdle(folderUri);
      if (!progress) break;
    }
    for (const e of this.cache.entries(folderUri)) {
      if (tried.has(e.violationId) || needsReview.has(e.violationId)) continue;
      if (e.state === 'none' && applied.some((a) => this.cache.fix(a.fixId) === undefined && a.fixId === e.violationId)) continue;
      if (e.state === 'none') skipped.push({ violationId: e.violationId, reason: e.reason });
      else if (e.state === 'ready' && e.status.kind === 'review' && !needsReview.has(e.violationId)) {
        needsReview.set(e.violationId, { fixId: e.fixId, title: fixTitle('Apply fix', e), reasons: (reviewAnnotation(e).description ?? '').split('; ') });
      } else if (e.state === 'ready' && e.status.kind === 'unvalidated') skipped.push({ violationId: e.violationId, reason: `${e.summary}: ${e.status.text}` });
    }
    const message = `${applied.length} fix(es) applied, ${needsReview.size} need review, ${skipped.length} without an applicable fix`;
    return { ok: true, message, passRateBefore, applied, needsReview: [...needsReview.values()], skipped };
  }

  // ------------------------------------------------------------ rollback

  async rollbackLast(folderPath: string, folderUri: string, force: boolean): Promise<RollbackLastFixCommand.Result> {
    const { checkpoints } = await listCheckpoints(folderPath);
    const open = checkpoints.filter((c) => c.rolledBackAt === undefined);
    const checkpoint: StoredCheckpoint | undefined = open[open.length - 1];
    if (!checkpoint) return { ok: false, code: 'noCheckpoint', message: 'There is no applied fix to roll back.', changed: [] };
    const changed: string[] = [];
    for (const f of checkpoint.files) {
      const now = currentFile(folderPath, f.file, this.host.docs).text;
      if ((now === null ? null : sha256(now)) !== f.afterHash) changed.push(f.file);
    }
    if (changed.length && !force) {
      return { ok: false, code: 'changedSince', message: `${changed.join(', ')} changed since the fix was applied; rolling back would lose those changes.`, changed };
    }
    const changes = checkpoint.files.map((f) => ({ file: f.file, before: currentFile(folderPath, f.file, this.host.docs).text, after: f.before }));
    const built = changesToWorkspaceEdit(folderPath, changes, this.host.docs, this.host.caps(), { wholeText: true });
    if (!built.ok) return { ok: false, code: 'failed', message: built.message, changed: [] };
    let result: { applied: boolean; failureReason?: string };
    try {
      result = await this.host.applyEdit('Smoke Repair: roll back the last fix', built.edit);
    } catch (err) {
      result = { applied: false, failureReason: (err as Error).message };
    }
    if (!result.applied) return { ok: false, code: 'failed', message: `the editor did not apply the rollback${result.failureReason ? `: ${result.failureReason}` : ''}`, changed: [] };
    await this.saveExactly(folderPath, checkpoint.files.map((f) => ({ file: f.file, content: f.before })));
    await saveCheckpoint(folderPath, { ...checkpoint, rolledBackAt: Date.now() });
    this.host.changed(folderUri, checkpoint.files.map((f) => f.file));
    return {
      ok: true,
      checkpointId: checkpoint.id,
      restored: checkpoint.files.filter((f) => f.before !== null).map((f) => f.file),
      deleted: checkpoint.files.filter((f) => f.before === null).map((f) => f.file),
    };
  }

  // ------------------------------------------------------------ preview

  details(fixId: string): FixDetailsRequest.Result | undefined {
    const fix = this.cache.fix(fixId);
    if (!fix) return undefined;
    const plan = fix.planned.fix.plan;
    return {
      fixId,
      folderUri: fix.folderUri,
      violationId: fix.violationId,
      violation: fix.planned.violation.message,
      title: fixTitle('Preview fix', fix),
      status: fix.status,
      planner: fix.planned.fix.planner,
      plan: {
        root_cause: plan.root_cause,
        category: plan.category,
        confidence: plan.confidence,
        files: plan.files,
        evidence: plan.evidence,
        operations: plan.operations.map((o) => ({ type: o.type, file: o.file, rationale: o.rationale, evidence: o.evidence })),
      },
      planPolicy: fix.planned.planPolicy,
      patchPolicy: fix.planned.patchPolicy,
      ...(fix.validation ? { validation: { status: fix.validation.status, steps: fix.validation.steps } } : {}),
      files: fix.planned.patch.files.map((f) => ({ file: f.file, uri: fileUri(path.join(fix.folderPath, f.file)), patchedUri: patchedUri(fixId, f.file), added: f.added, removed: f.removed })),
      diff: fix.planned.patch.diff,
    };
  }

  patchedText(fixId: string, file: string): string | undefined {
    return this.cache.fix(fixId)?.planned.patch.files.find((f) => f.file === file)?.after;
  }
}

/** Learn from a fix applied in the editor, under the folder's learning settings. */
async function learnApplied(folderPath: string, record: RepairRecord): Promise<void> {
  const learning = await learningOf(folderPath);
  if (learning.enabled === false) return;
  await learnFromRecords(await patternStoreFor(folderPath, learning), [record]);
}
