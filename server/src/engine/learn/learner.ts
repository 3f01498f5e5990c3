import * as path from 'node:path';
import type { FixPlan } from '../fixPlan';
import type { RepairRecord } from '../contracts';
import { Redactor } from '../redact';
import type { AttemptInput, Outcome } from './patterns';
import { endpointPattern, messageShape, messageValues, type FailureSignature } from './signature';
import type { PatternStore } from './store';

/**
 * The FixPatternLearner: every repair attempt that ended (applied and kept, failed validation,
 * rolled back for a regression, rejected by a person) becomes a pattern event, with the edit
 * abstracted: the values of this site (the names and numbers the failure's message quotes, the
 * file the edit went to) become placeholders, so the pattern matches the same kind of failure in
 * another file or app. A pattern never holds a request value: plans are made of code and names,
 * and what is kept is redacted once more.
 */

/** The parts of a repair record the learner reads. */
export type LearnableRecord = Pick<RepairRecord, 'violation' | 'plan' | 'planner' | 'applied' | 'validation' | 'diff'>;

const MANIFESTS = /(^|\/)(package\.json|requirements[^/]*\.txt|pyproject\.toml|package-lock\.json|poetry\.lock|Pipfile)$/;

/** A file as a role: a manifest keeps its name; any other file is the one the failure points at (`{file}`), or another. */
function fileRole(file: string, plan: FixPlan): string {
  if (MANIFESTS.test(file)) return path.posix.basename(file);
  const files = plan.files ?? [];
  return files.length <= 1 || file === plan.operations[0]?.file ? '{file}' : `{file:${files.indexOf(file)}}`;
}

/** Replace the message's site values inside a detail value with `{i}`; other strings stay. */
function abstractValue(value: unknown, values: string[]): unknown {
  if (typeof value === 'string') {
    const i = values.indexOf(value);
    if (i >= 0) return `{${i}}`;
    let out = value;
    values.forEach((v, j) => {
      if (v.length >= 3 && /^[\w.-]+$/.test(v)) out = out.replace(new RegExp(`\\b${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), `{${j}}`);
    });
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => abstractValue(v, values));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abstractValue(v, values)]));
  return value;
}

/** The plan's operations with this site abstracted: what a pattern stores and a later plan is made from. */
export function abstractEdit(plan: FixPlan, message: string): { operations: Array<{ type: string; file: string; details: unknown }> } {
  const values = messageValues(message);
  return {
    operations: plan.operations.map((op) => ({
      type: op.type,
      file: fileRole(op.file, plan),
      details: Redactor.patterns.value(abstractValue(op.details, values)),
    })),
  };
}

/** The failure's signature as a repair record keeps it. */
export function signatureOf(v: RepairRecord['violation'], message = v.message): FailureSignature {
  return {
    ...(v.exceptionClass ? { exceptionClass: v.exceptionClass } : {}),
    ...(messageShape(exceptionMessage(message)) ? { messageShape: messageShape(exceptionMessage(message))! } : {}),
    endpoint: endpointPattern(v.method, v.path),
    status: v.actualStatus,
    failureType: v.failureType,
    strategy: v.strategy,
  };
}

/**
 * The exception's own words in a violation message: what follows the exception class
 * (`GET /x → 500 (expected 200): NameError: name 'x' …`, `app starts → exited with code 1:
 * NameError: name 'x' …` → `name 'x' …`), else what follows the status (`… (expected 200): …`).
 * The learner and the learned planner both read a failure's site values from it.
 */
export function exceptionMessage(message: string): string {
  const cls = message.match(/(?:^|[\s:(])[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\s*:\s*(.*)$/s);
  if (cls) return cls[1]!.trim();
  const after = message.match(/\)\s*:\s*(.*)$/s);
  return (after?.[1] ?? message).trim();
}

/** How an attempt ended, or undefined for one that says nothing about the fix (no plan, waiting for a person, dry run). */
export function outcomeOf(r: LearnableRecord): Outcome | undefined {
  if (!r.plan) return undefined;
  if (r.applied) return 'success';
  if (r.validation && r.validation.status === 'failed') return 'failure';
  return undefined;
}

/** The attempt event of a record with the given outcome (its own by default). */
export function attemptOf(r: LearnableRecord, outcome = outcomeOf(r), source: AttemptInput['source'] = 'tool'): AttemptInput | undefined {
  if (!r.plan || !outcome) return undefined;
  const message = exceptionMessage(r.violation.message);
  const language = languageOf(r.plan.files ?? []);
  return {
    signature: { ...signatureOf(r.violation), ...(language ? { language } : {}) },
    edit: abstractEdit(r.plan, message),
    fixType: [...new Set(r.plan.operations.map((o) => o.type))].join('+'),
    planner: r.planner ?? 'unknown',
    source,
    outcome,
    roles: [...new Set((r.plan.files ?? []).map((f) => fileRole(f, r.plan!)))],
    ...(r.diff && outcome === 'success' ? { example: Redactor.patterns.text(r.diff).slice(0, 20_000) } : {}),
  };
}

/** An abstract edit in one line: `add_import {file} name={0} module={0}`. */
export function describeEdit(edit: unknown): string {
  const ops = (edit as { operations?: Array<{ type: string; file: string; details: unknown }> })?.operations ?? [];
  const value = (v: unknown) => (typeof v === 'string' ? (v.length > 60 || v.includes('\n') ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : v) : JSON.stringify(v));
  return ops.map((o) => [o.type, o.file, ...Object.entries((o.details ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}=${value(v)}`)].join(' ')).join('; ');
}

/** How bad each way of failing is, as an anti-pattern's severity. */
const SEVERITY = { failure: 'low', rejected: 'medium', reverted: 'high' } as const;

/** The anti-pattern sighting of an attempt that did not hold: the edit that was wrong for this kind of failure. */
export function antiOf(a: AttemptInput): Parameters<PatternStore['recordAntiPattern']>[0] | undefined {
  if (a.outcome === 'success') return undefined;
  return {
    wrong: `${a.fixType}: ${describeEdit(a.edit)}`,
    language: a.signature.language ?? 'unknown',
    ...(a.signature.exceptionClass ? { exceptionClass: a.signature.exceptionClass } : {}),
    severity: SEVERITY[a.outcome],
    occurrences: 1,
    confidence: a.outcome === 'failure' ? 0.5 : 0.8,
  };
}

/** The language of the files a plan edits: python, node, or undefined when they do not say. */
function languageOf(files: readonly string[]): string | undefined {
  if (files.some((f) => /\.py$|(^|\/)(requirements[^/]*\.txt|pyproject\.toml|Pipfile)$/.test(f))) return 'python';
  if (files.some((f) => /\.(m|c)?[jt]sx?$|(^|\/)package(-lock)?\.json$/.test(f))) return 'node';
  return undefined;
}

/** Record an attempt, and for one that did not hold, its anti-pattern sighting. */
export async function recordAttempt(store: PatternStore, a: AttemptInput): Promise<void> {
  await store.record(a);
  const anti = antiOf(a);
  if (anti) await store.recordAntiPattern(anti);
}

/** Record what a pass's attempts taught; returns how many attempts were written. */
export async function learnFromRecords(store: PatternStore, records: readonly LearnableRecord[]): Promise<number> {
  let n = 0;
  for (const r of records) {
    // A fix a learned pattern planned is counted for that pattern like any other.
    const a = attemptOf(r);
    if (!a) continue;
    await recordAttempt(store, a);
    n++;
  }
  return n;
}
