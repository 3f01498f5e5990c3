import type { Operation } from '../engine/fixPlan';
import { knownLabel } from '../engine/learn/known';
import type { ViolationPlan } from '../engine/repair/planOne';
import type { KnownFix, ValidationResult } from '../engine/contracts';
import { validationReason } from '../engine/validate';
import type { FixStatus } from '../protocol';

/**
 * What the background planner knows about each violation of a folder's last run, keyed by
 * violation id: still planning, a fix (plan, both policy decisions, patch, validation, made
 * against the file hashes in `planned.fix.base`), or why there is none. Listing code actions reads
 * only this, so it stays cheap.
 */

export type FixEntry =
  | { state: 'planning'; folderUri: string; violationId: string }
  | { state: 'none'; folderUri: string; violationId: string; reason: string }
  | {
      state: 'ready';
      folderUri: string;
      folderPath: string;
      violationId: string;
      fixId: string;
      planned: ViolationPlan & Required<Pick<ViolationPlan, 'fix' | 'patch' | 'planPolicy' | 'patchPolicy'>>;
      validation?: ValidationResult;
      status: FixStatus;
      /** `add python-slugify to requirements.txt` */
      summary: string;
    };

export type ReadyFix = Extract<FixEntry, { state: 'ready' }>;

const key = (folderUri: string, violationId: string) => `${folderUri}\u0000${violationId}`;

export class FixCache {
  private readonly byViolation = new Map<string, FixEntry>();
  private readonly byFix = new Map<string, ReadyFix>();

  set(entry: FixEntry): void {
    const k = key(entry.folderUri, entry.violationId);
    const before = this.byViolation.get(k);
    if (before?.state === 'ready') this.byFix.delete(before.fixId);
    this.byViolation.set(k, entry);
    if (entry.state === 'ready') this.byFix.set(entry.fixId, entry);
  }

  get(folderUri: string, violationId: string): FixEntry | undefined {
    return this.byViolation.get(key(folderUri, violationId));
  }

  fix(fixId: string): ReadyFix | undefined {
    return this.byFix.get(fixId);
  }

  /** Drops everything known about a folder (a new run replaces it). */
  clearFolder(folderUri: string): void {
    for (const [k, e] of this.byViolation) {
      if (e.folderUri !== folderUri) continue;
      this.byViolation.delete(k);
      if (e.state === 'ready') this.byFix.delete(e.fixId);
    }
  }

  entries(folderUri?: string): FixEntry[] {
    return [...this.byViolation.values()].filter((e) => folderUri === undefined || e.folderUri === folderUri);
  }
}

/** One line per operation kind, for titles: `add python-slugify to requirements.txt`. */
export function operationSummary(op: Operation): string {
  switch (op.type) {
    case 'add_dependency':
      return `add ${op.details.name}${op.details.version ? ` ${op.details.version}` : ''} to ${op.file}`;
    case 'pin_dependency':
      return `pin ${op.details.name} ${op.details.version} in ${op.file}`;
    case 'sync_lockfile':
      return `update ${op.file}`;
    case 'remove_unused':
      return `remove unused ${op.details.names.join(', ')} from ${op.file}`;
    case 'add_import':
      return `import ${op.details.name}${op.details.module !== op.details.name ? ` from ${op.details.module}` : ''} in ${op.file}`;
    case 'include_router':
      return `include ${op.details.router} from ${op.details.module} in ${op.file}`;
    case 'update_route':
      return `change route ${op.details.from} to ${op.details.to} in ${op.file}`;
    case 'set_status_code':
      return `return ${op.details.to} instead of ${op.details.from} in ${op.file}`;
    case 'replace_pattern':
      return `replace ${op.details.pattern} in ${op.file}`;
    case 'modify_code':
      return `change code in ${op.file}`;
  }
}

/** The operations' summaries joined (sync_lockfile folded into the dependency change it follows). */
export function planSummary(operations: readonly Operation[]): string {
  const main = operations.filter((o) => o.type !== 'sync_lockfile');
  const parts = [...new Set((main.length ? main : operations).map(operationSummary))];
  return parts.length <= 2 ? parts.join('; ') : `${parts.slice(0, 2).join('; ')} and ${parts.length - 2} more`;
}

/** safe: both decisions safe and validation passed; review: validated but needs a person; unvalidated otherwise. */
export function fixStatus(planned: ReadyFix['planned'], validation: ValidationResult | undefined): FixStatus {
  if (!validation) return { kind: 'unvalidated', text: 'not validated: no validator ran' };
  // Applies and parses, but the patched app was not run: a person decides, never fix-all.
  if (validation.status === 'checked') return { kind: 'review', text: 'checked (not run), needs review' };
  if (validation.status !== 'passed') return { kind: 'unvalidated', text: `not validated: ${validationReason(validation)}` };
  const safe = planned.planPolicy.label === 'safe' && planned.patchPolicy.label === 'safe';
  // Progress: its scenario still fails, for another reason; the quick fix says so.
  const how = validation.progress ? 'validated as progress' : 'validated';
  return safe ? { kind: 'safe', text: `safe, ${how}` } : { kind: 'review', text: 'needs review' };
}


/** `Apply fix: import uuid (known fix, 9 of 10 succeeded, safe, validated)`: what learning knows of it first. */
export function fixTitle(verb: 'Preview fix' | 'Apply fix', fix: Pick<ReadyFix, 'summary' | 'status'> & { planned?: { fix?: { known?: KnownFix } } }): string {
  const known = fix.planned?.fix?.known;
  return `${verb}: ${fix.summary} (${known ? `${knownLabel(known)}, ` : ''}${fix.status.text})`;
}
