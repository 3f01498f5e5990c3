import type { SmokeConfig } from './config/schema';
import type { Progress, SmokeReport, Violation } from './model';
import type { Redactor } from './redact';
import type { FixPlan, FixPlanInput, Operation, OperationType } from './fixPlan';

/**
 * The repair pipeline's contracts: plan → policy → patch → policy → validate → apply.
 * Each stage is a module with a small public face; these are the types that cross between them.
 */

// ---------------------------------------------------------------- planning

/** What a planner may look at. Files are read through `read` so a sandbox or an editor's unsaved buffers can stand in. */
export interface PlanningContext {
  workspace: string;
  violation: Violation;
  report: SmokeReport;
  config: SmokeConfig;
  /** Workspace-relative paths of the workspace's files (bounded; no node_modules, .git, ...). */
  files: string[];
  /** The text of a workspace-relative file, or undefined when it does not exist. */
  read(file: string): Promise<string | undefined>;
  /** What a planner sends off the machine (a prompt to a model) goes through it: the run's secrets and credential formats hidden. */
  redactor?: Redactor;
  /** Told of each request a planner sends to a model, as sent; the run record keeps them. */
  sent?(prompt: SentPrompt): void;
  /** What earlier iterations of the repair loop tried for this failure, and why it did not hold (newest last). */
  tried?: string[];
}

/** A request a planner sent to a model, as it left the machine (redacted). */
export interface SentPrompt {
  planner: string;
  /** `openai-compatible`, `vscode-lm`. */
  provider: string;
  sentAt: number;
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
}

/** Why a planner (or a rule) made no plan: machine-readable code and a sentence for people. */
export interface NoPlan {
  code:
    | 'not_applicable'
    | 'no_rule'
    | 'insufficient_evidence'
    | 'unsafe'
    | 'llm_unavailable'
    | 'llm_invalid_output'
    | 'llm_error'
    /** A planner returned plans that the FixPlan schema rejects. */
    | 'invalid_plan'
    /** A planner threw instead of answering. */
    | 'planner_error';
  reason: string;
}

export type PlannerOutcome = { ok: true; plans: FixPlanInput[] } | { ok: false; noPlan: NoPlan };

export interface Planner {
  /** `learned`, `anti-pattern`, `rules`, `llm`. */
  readonly name: string;
  plan(ctx: PlanningContext): Promise<PlannerOutcome>;
}

/** One deterministic rule of the rules planner. */
export interface Rule {
  readonly id: string;
  /** Cheap test on the violation (failure type, strategy, exception class, status). */
  applies(ctx: PlanningContext): boolean;
  plan(ctx: PlanningContext): Promise<FixPlanInput | NoPlan>;
}

/** A validated plan with where it came from and the file contents it was made against. */
export interface PlannedFix {
  id: string;
  violationId: string;
  planner: string;
  plan: FixPlan;
  /** sha256 of each plan file's content when the plan was made; null for a file that did not exist. */
  base: Record<string, string | null>;
  createdAt: number;
  /** What learning knows of this very fix for this kind of failure (a learned pattern with the same edit). */
  known?: KnownFix;
}

/** A plan's record among the learned patterns: how often the same edit worked for the same kind of failure. */
export interface KnownFix {
  key: string;
  attempts: number;
  successes: number;
  /** Failed validation, rolled back for a regression, or rejected by a person. */
  failed: number;
  rejected: number;
  reverted: number;
  promoted: boolean;
  sources: string[];
  /** It failed at least as often as it worked: an anti-pattern here, tried after every other plan. */
  bad: boolean;
}

/** A valid plan that could not be used, so the next candidate was tried: where it stopped and why. */
export interface PassedOver {
  planner: string;
  fixId: string;
  /** validation: a learned fix that did not hold here; the next candidate of the chain was planned and validated instead. */
  stage: 'plan-policy' | 'patch' | 'patch-policy' | 'validation';
  reason: string;
}

// ---------------------------------------------------------------- patching

/** What an operation executor sees: the file's current text and a way to read others. */
export interface ExecutorContext {
  workspace: string;
  /** Workspace-relative path of the operation's file. */
  file: string;
  /** The file's current text (after earlier operations of the same plan); '' when it does not exist. */
  text: string;
  exists: boolean;
  read(file: string): Promise<string | undefined>;
}

/**
 * Turns one operation into the file's new text. Deterministic and minimal: only the lines the
 * operation is about change, every other byte stays (line endings, final newline, comments).
 * Throws PatchError when the operation cannot be carried out on this text.
 */
export type Executor<T extends OperationType = OperationType> = (
  op: Extract<Operation, { type: T }>,
  ctx: ExecutorContext,
) => string | Promise<string>;

/** An operation that cannot be applied, located in the plan and (when known) in the file. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly operationIndex: number,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

export interface FilePatch {
  file: string;
  /** null when the file is created by the patch. */
  before: string | null;
  after: string;
  /** Unified diff of this file. */
  diff: string;
  added: number;
  removed: number;
}

export interface Patch {
  /** Sorted by path. */
  files: FilePatch[];
  /** All files' unified diffs, in path order. */
  diff: string;
  stats: { files: number; added: number; removed: number; bytes: number };
}

// ---------------------------------------------------------------- policy

export interface PolicyDecision {
  allowed: boolean;
  /** 0 (harmless) .. 100 (dangerous). */
  dangerScore: number;
  label: 'safe' | 'needs-review';
  reasons: string[];
}

// ---------------------------------------------------------------- validation

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface ValidationStep {
  name: 'apply' | 'parse' | 'checks' | 'scenarios';
  status: StepStatus;
  /** Why it failed or was skipped, in one sentence (`the violation's scenario still fails`). */
  summary?: string;
  /** What ran and what it printed (bounded). */
  output: string;
  durationMs: number;
}

/**
 * passed: the patch applies, parses, passes the checks, and the failing scenario passed against the
 * patched app with nothing regressed. checked: it applies, parses and passes the checks, but the
 * scenarios were not run ("checked (not run)": never applied as validated). failed: a step failed.
 * skipped: it could not be checked at all.
 */
export type ValidationStatus = 'passed' | 'checked' | 'failed' | 'skipped';

export interface ValidationResult {
  status: ValidationStatus;
  /**
   * Commands a person runs in the workspace after applying the fix: the sandbox installed what the
   * patch adds to a manifest for itself only, never into the user's environment.
   */
  afterApply?: string[];
  steps: ValidationStep[];
  /** Scenario ids that failed before and pass in the sandbox; and any that passed before and fail now. */
  fixed: string[];
  regressed: string[];
  /**
   * Passed as progress: the violation's scenario still fails, but no longer for its own reason, and
   * nothing regressed (a route that answers now, a server error gone, a start that fails further on).
   */
  progress?: string;
}

// ---------------------------------------------------------------- apply, checkpoints, records

export interface Checkpoint {
  id: string;
  createdAt: number;
  fixId: string;
  /** Each file as it was before the apply (null: it did not exist) and the sha256 of what was written. */
  files: Array<{ file: string; before: string | null; afterHash: string }>;
  /** The reverse patch, for people to read. */
  reverseDiff: string;
}

export interface RepairRecord {
  id: string;
  createdAt: number;
  violation: Pick<Violation, 'id' | 'scenario' | 'method' | 'path' | 'expectedStatus' | 'actualStatus' | 'failureType' | 'strategy' | 'message'> & {
    exceptionClass?: string;
  };
  planner?: string;
  plan?: FixPlan;
  noPlan?: NoPlan & { tried: Array<{ planner: string } & NoPlan> };
  /** Plans tried before (or, when none could be used, after) the one recorded here. */
  passedOver?: PassedOver[];
  planPolicy?: PolicyDecision;
  patchPolicy?: PolicyDecision;
  diff?: string;
  diffStats?: Patch['stats'];
  validation?: ValidationResult;
  applied: boolean;
  /** Why it was or was not applied. */
  reason: string;
  checkpointId?: string;
  passRateBefore: number;
  passRateAfter?: number;
  timings: Partial<Record<'plan' | 'policy' | 'patch' | 'validate' | 'apply', number>>;
  /** Each request sent to a model while planning, as it left the machine (redacted). */
  prompts?: SentPrompt[];
  /** The approval that asks a person about this fix, or that a person gave for it. */
  approvalId?: string;
}

/** What validates a patch in a sandbox before it may be applied. */
export interface ValidateInput {
  workspace: string;
  config: SmokeConfig;
  report: SmokeReport;
  violation: Violation;
  patch: Patch;
  signal?: AbortSignal;
  progress?: Progress;
}

export type Validator = (input: ValidateInput) => Promise<ValidationResult>;
