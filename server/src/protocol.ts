/**
 * The custom protocol between the Smoke Repair client and its language server.
 * One namespace per message; the JSDoc line above each says which way it travels.
 * The zod schemas describe exactly what crosses the wire; each side parses what it receives.
 * All lines and characters on the wire are 0-based, as in LSP.
 * Messages are sent by method name: the two sides use different builds of the JSON-RPC library,
 * so no message-type objects are shared.
 */
import { z } from 'zod';

/** The workspace file that holds the scenarios and the app's runtime settings. */
export const CONFIG_FILE_NAME = 'smoke-repair.yaml';

/**
 * Node flags the editor starts the language server with. A young generation of 2 MB semi-spaces
 * (instead of V8's 16 MB) keeps the server's resident memory under its 150 MB budget with 1,000
 * diagnostics open and their fixes planned, at no measurable cost to code action latency
 * (bench/codeActions.bench.ts). No heap limit: a large workspace must not crash the server.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** `source` of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'smoke-repair';

/**
 * Commands contributed by the extension. `runSmoke`, `applyFix`, `repairFailures` and
 * `rollbackLastFix` are also server commands (the client registers them itself when it has UI to
 * add, and forwards them); `fixApplied` is a server command only (run by the editor after it applied
 * a fix's edit); `previewFix` and `setLlmApiKey` are client commands only.
 */
export const CommandIds = {
  runSmoke: 'smokeRepair.runSmoke',
  showOutput: 'smokeRepair.showOutput',
  restartServer: 'smokeRepair.restartServer',
  previewFix: 'smokeRepair.previewFix',
  applyFix: 'smokeRepair.applyFix',
  fixApplied: 'smokeRepair.fixApplied',
  repairFailures: 'smokeRepair.repairFailures',
  rollbackLastFix: 'smokeRepair.rollbackLastFix',
  setLlmApiKey: 'smokeRepair.setLlmApiKey',
  startRepairLoop: 'smokeRepair.startRepairLoop',
  refreshHistory: 'smokeRepair.refreshHistory',
  openRecordDiff: 'smokeRepair.openRecordDiff',
  decideApproval: 'smokeRepair.decideApproval',
  approveFix: 'smokeRepair.approveFix',
  rejectFix: 'smokeRepair.rejectFix',
  refreshApprovals: 'smokeRepair.refreshApprovals',
  openApprovalDiff: 'smokeRepair.openApprovalDiff',
  openRunReport: 'smokeRepair.openRunReport',
} as const;

/** The code action kind of "fix every safe, validated smoke failure in this file". */
export const FIX_ALL_KIND = 'source.fixAll.smokeRepair';

/** client → server, in `initialize`: options the client sends along. */
export namespace InitializationOptions {
  export const schema = z
    .object({
      /** Server commands the client registers as editor commands itself and forwards with `workspace/executeCommand`; the server leaves them out of `executeCommandProvider` so they are not registered twice. */
      commandsInClient: z.array(z.string()).default([]),
      /** Config file name or workspace-relative path (setting `smokeRepair.configFile`). */
      configFile: z.string().min(1).optional(),
    })
    .default({ commandsInClient: [] });
  export type Type = z.infer<typeof schema>;
}

/** A position in a file as sent over the wire. */
export const wireLocationSchema = z.object({
  uri: z.string(),
  line: z.number().int().min(0),
  character: z.number().int().min(0),
});
export type WireLocation = z.infer<typeof wireLocationSchema>;

/** One stack frame, most recent call last. `uri` is absent for frames outside the workspace. */
export const wireFrameSchema = z.object({
  function: z.string(),
  /** Workspace-relative path when in the workspace, else the path as the app saw it. */
  file: z.string(),
  line: z.number().int().min(0),
  uri: z.string().optional(),
});
export type WireFrame = z.infer<typeof wireFrameSchema>;

/** One scenario's outcome, for Test Explorer and the status bar. */
export const wireScenarioSchema = z.object({
  id: z.string(),
  name: z.string(),
  method: z.string(),
  path: z.string(),
  ok: z.boolean(),
  status: z.number().int(),
  expectedStatus: z.number().int(),
  durationMs: z.number(),
  /** The violation's one-line message, or the first failure reason. Absent when ok. */
  message: z.string().optional(),
  violationId: z.string().optional(),
  /** Where the failure is shown (the diagnostic's place). */
  location: wireLocationSchema.optional(),
  /** The `smoke-repair-report:` URI of the rendered report, when there is a violation. */
  reportUri: z.string().optional(),
  frames: z.array(wireFrameSchema).default([]),
});
export type WireScenario = z.infer<typeof wireScenarioSchema>;

/** A structured failure of a run. */
export const runErrorSchema = z.object({
  kind: z.enum(['environment', 'config', 'noConfig', 'busy', 'cancelled', 'internal']),
  message: z.string(),
  /** What to do about it (environment problems). */
  remedy: z.string().optional(),
  /** The folder the error concerns, when there is one. */
  folderUri: z.string().optional(),
});
export type RunError = z.infer<typeof runErrorSchema>;

/** client → server, via `workspace/executeCommand`: run the smoke tests and publish diagnostics. */
export namespace RunSmokeCommand {
  export const id = CommandIds.runSmoke;
  /** Optional single argument: the folder to run (a folder URI); default every folder that has a config file. */
  export const argsSchema = z
    .array(z.union([z.object({ folderUri: z.string() }), z.string(), z.null(), z.undefined()]))
    .max(1)
    .default([]);
  export const summarySchema = z.object({
    ok: z.literal(true),
    passRate: z.number().min(0).max(1),
    passed: z.number().int().min(0),
    total: z.number().int().min(0),
    violations: z.number().int().min(0),
    folders: z.array(z.string()),
  });
  export const failureSchema = z.object({ ok: z.literal(false), error: runErrorSchema });
  export const resultSchema = z.union([summarySchema, failureSchema]);
  export type Summary = z.infer<typeof summarySchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** client → server: the rendered Markdown report of one violation of the last run. */
export namespace ReportRequest {
  export const method = 'smokeRepair/report';
  export const paramsSchema = z.object({ folderUri: z.string(), violationId: z.string() });
  export const resultSchema = z.object({ markdown: z.string() });
  export type Params = z.infer<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** server → client: a run has started for these folders. */
export namespace RunStartedNotification {
  export const method = 'smokeRepair/runStarted';
  export const paramsSchema = z.object({ folders: z.array(z.string()), startedAt: z.number() });
  export type Params = z.infer<typeof paramsSchema>;
}

/** server → client: a folder's run has finished (one notification per folder), with per-scenario results or the error. */
export namespace RunFinishedNotification {
  export const method = 'smokeRepair/runFinished';
  export const paramsSchema = z.union([
    z.object({
      ok: z.literal(true),
      folderUri: z.string(),
      passRate: z.number(),
      passed: z.number().int(),
      total: z.number().int(),
      durationMs: z.number(),
      scenarios: z.array(wireScenarioSchema),
    }),
    z.object({ ok: z.literal(false), folderUri: z.string(), error: runErrorSchema }),
  ]);
  export type Params = z.infer<typeof paramsSchema>;
}

/** The custom scheme of rendered violation reports; the client shows them read-only. */
export const REPORT_SCHEME = 'smoke-repair-report';

const reportQuerySchema = z.object({ folderUri: z.string(), violationId: z.string() });

/**
 * `smoke-repair-report:/<violation>.md?<json>`: the `.md` path gives the editor Markdown highlighting
 * and a readable tab title; the query carries the folder and violation id as JSON.
 */
export function reportUri(folderUri: string, violationId: string): string {
  const title = violationId.replace(/[^A-Za-z0-9._-]+/g, '_') || 'report';
  return `${REPORT_SCHEME}:/${title}.md?${encodeURIComponent(JSON.stringify({ folderUri, violationId }))}`;
}

/** Reads a report URI's query (already percent-decoded, as `vscode.Uri.query` gives it). */
export function parseReportQuery(decodedQuery: string): ReportRequest.Params | undefined {
  try {
    const parsed = reportQuerySchema.safeParse(JSON.parse(decodedQuery));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a whole report URI as a string (percent-encoded). */
export function parseReportUri(uri: string): ReportRequest.Params | undefined {
  const prefix = `${REPORT_SCHEME}:`;
  if (!uri.startsWith(prefix)) return undefined;
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  try {
    return parseReportQuery(decodeURIComponent(uri.slice(q + 1)));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- fixes

/** `data` of every smoke-repair code action (set when listing, read back in `codeAction/resolve`). */
export const fixActionDataSchema = z.object({
  folderUri: z.string(),
  /** `apply`: the resolvable fix; `preview`: opens the preview; `fixAll`: every safe validated fix of `uri`. */
  action: z.enum(['apply', 'preview', 'fixAll']),
  violationId: z.string().optional(),
  fixId: z.string().optional(),
  /** The document a fix-all action was listed for. */
  uri: z.string().optional(),
  /** fixIds of a fix-all action. */
  fixIds: z.array(z.string()).optional(),
});
export type FixActionData = z.infer<typeof fixActionDataSchema>;

/** A policy decision as sent over the wire. */
export const wireDecisionSchema = z.object({
  allowed: z.boolean(),
  dangerScore: z.number(),
  label: z.enum(['safe', 'needs-review']),
  reasons: z.array(z.string()),
});

/** Where a fix stands: how the light bulb and the preview describe it. */
export const fixStatusSchema = z.object({
  /** `safe`: safe and validated (preferred, in fix-all); `review`: validated but needs a person's yes; `unvalidated`: may not be applied. */
  kind: z.enum(['safe', 'review', 'unvalidated']),
  /** `safe, validated` / `needs review` / `not validated: <why>`. */
  text: z.string(),
});
export type FixStatus = z.infer<typeof fixStatusSchema>;

/** client → server: everything the preview shows about one fix. */
export namespace FixDetailsRequest {
  export const method = 'smokeRepair/fixDetails';
  export const paramsSchema = z.object({ fixId: z.string() });
  export const resultSchema = z.object({
    fixId: z.string(),
    folderUri: z.string(),
    violationId: z.string(),
    violation: z.string(),
    title: z.string(),
    status: fixStatusSchema,
    planner: z.string(),
    plan: z.object({
      root_cause: z.string(),
      category: z.string(),
      confidence: z.number(),
      files: z.array(z.string()),
      evidence: z.array(z.string()),
      operations: z.array(z.object({ type: z.string(), file: z.string(), rationale: z.string(), evidence: z.array(z.string()) })),
    }),
    planPolicy: wireDecisionSchema.optional(),
    patchPolicy: wireDecisionSchema.optional(),
    validation: z
      .object({
        status: z.enum(['passed', 'checked', 'failed', 'skipped']),
        steps: z.array(z.object({ name: z.string(), status: z.enum(['passed', 'failed', 'skipped']), summary: z.string().optional(), output: z.string(), durationMs: z.number() })),
      })
      .optional(),
    /** The changed files: workspace-relative path, file URI, and the `smoke-repair-patched:` URI of the text after the patch. */
    files: z.array(z.object({ file: z.string(), uri: z.string(), patchedUri: z.string(), added: z.number(), removed: z.number() })),
    diff: z.string(),
  });
  export type Params = z.infer<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** client → server: the text of one file after a fix's patch (the `smoke-repair-patched:` documents). */
export namespace PatchedTextRequest {
  export const method = 'smokeRepair/patchedText';
  export const paramsSchema = z.object({ fixId: z.string(), file: z.string() });
  export const resultSchema = z.object({ text: z.string() });
  export type Params = z.infer<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** server → client: save these documents (after a fix or a rollback was applied through `workspace/applyEdit`), so the app sees the change. */
export namespace SaveDocumentsRequest {
  export const method = 'smokeRepair/saveDocuments';
  export const paramsSchema = z.object({ uris: z.array(z.string()) });
  export const resultSchema = z.object({ saved: z.array(z.string()), failed: z.array(z.object({ uri: z.string(), reason: z.string() })) });
  export type Params = z.infer<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** server → client: background planning of a folder's fixes finished (the light bulb now offers them). */
export namespace FixesPlannedNotification {
  export const method = 'smokeRepair/fixesPlanned';
  export const paramsSchema = z.object({
    folderUri: z.string(),
    ready: z.number().int(),
    noPlan: z.number().int(),
    safe: z.number().int(),
    cancelled: z.boolean(),
  });
  export type Params = z.infer<typeof paramsSchema>;
}

/** client → server, via `workspace/executeCommand`: apply one fix (server-side: checkpoint, `workspace/applyEdit`, save, record). */
export namespace ApplyFixCommand {
  export const id = CommandIds.applyFix;
  /** `confirmed`: a person said yes to a needs-review fix. */
  export const argsSchema = z.tuple([z.object({ fixId: z.string(), confirmed: z.boolean().default(false) })]);
  export const resultSchema = z.union([
    z.object({ ok: z.literal(true), fixId: z.string(), files: z.array(z.string()), checkpointId: z.string(), recordFile: z.string() }),
    z.object({
      ok: z.literal(false),
      fixId: z.string(),
      /** `stale`: a file changed since the plan was made (planned again); `needsConfirmation`: a needs-review fix without a yes. */
      code: z.enum(['unknown', 'notReady', 'unvalidated', 'needsConfirmation', 'stale', 'rejected', 'failed']),
      message: z.string(),
    }),
  ]);
  export type Result = z.infer<typeof resultSchema>;
}

/** editor → server, via `workspace/executeCommand` (the command of an applied code action): store the checkpoint staged at resolve, the record, and save the files. */
export namespace FixAppliedCommand {
  export const id = CommandIds.fixApplied;
  export const argsSchema = z.tuple([z.object({ fixIds: z.array(z.string()).min(1) })]);
}

/** client → server, via `workspace/executeCommand`: plan (wait for planning), validate and apply every safe fix of the current failures. */
export namespace RepairFailuresCommand {
  export const id = CommandIds.repairFailures;
  export const argsSchema = z.array(z.object({ folderUri: z.string().optional() }).optional()).max(1).default([]);
  export const resultSchema = z.object({
    ok: z.boolean(),
    message: z.string(),
    passRateBefore: z.number(),
    applied: z.array(z.object({ fixId: z.string(), title: z.string() })),
    /** Validated fixes that need a person's yes: the client asks about each. */
    needsReview: z.array(z.object({ fixId: z.string(), title: z.string(), reasons: z.array(z.string()) })),
    /** Violations with no applicable fix, and why. */
    skipped: z.array(z.object({ violationId: z.string(), reason: z.string() })),
  });
  export type Result = z.infer<typeof resultSchema>;
}

/** client → server, via `workspace/executeCommand`: restore every file of the last applied fix. */
export namespace RollbackLastFixCommand {
  export const id = CommandIds.rollbackLastFix;
  /** `force`: restore files changed since the fix too (a person confirmed). */
  export const argsSchema = z.array(z.object({ folderUri: z.string().optional(), force: z.boolean().optional() }).optional()).max(1).default([]);
  export const resultSchema = z.union([
    z.object({ ok: z.literal(true), checkpointId: z.string(), restored: z.array(z.string()), deleted: z.array(z.string()) }),
    z.object({ ok: z.literal(false), code: z.enum(['noCheckpoint', 'changedSince', 'failed']), message: z.string(), changed: z.array(z.string()).default([]) }),
  ]);
  export type Result = z.infer<typeof resultSchema>;
}

/** client → server, via `workspace/executeCommand`: run the repair loop on a folder, with cancellable progress. */
export namespace StartRepairLoopCommand {
  export const id = CommandIds.startRepairLoop;
  export const argsSchema = z
    .array(z.object({ folderUri: z.string().optional(), target: z.number().min(0).max(1).optional(), maxIterations: z.number().int().min(1).max(100).optional() }).optional())
    .max(1)
    .default([]);
  export const resultSchema = z.union([
    z.object({
      ok: z.literal(true),
      loopId: z.string(),
      stopReason: z.string(),
      stopDetail: z.string(),
      passRateStart: z.number(),
      passRateEnd: z.number(),
      iterations: z.number().int(),
      applied: z.number().int(),
      /** Each scenario still failing, with what was tried last. */
      escalation: z.array(z.object({ scenario: z.string(), message: z.string(), tried: z.string() })),
    }),
    z.object({ ok: z.literal(false), message: z.string() }),
  ]);
  export type Result = z.infer<typeof resultSchema>;
}

/** One fix attempt of the Repair History: a repair record. */
export const historyFixSchema = z.object({
  recordId: z.string(),
  title: z.string(),
  planner: z.string().optional(),
  label: z.string().optional(),
  validation: z.string().optional(),
  applied: z.boolean(),
  reason: z.string(),
  passRateBefore: z.number(),
  passRateAfter: z.number().optional(),
  hasDiff: z.boolean(),
});

/** A run of the Repair History: a loop (with its iterations) or a pass on its own (one iteration). */
export const historyRunSchema = z.object({
  id: z.string(),
  kind: z.enum(['loop', 'pass']),
  startedAt: z.number(),
  passRateBefore: z.number(),
  passRateAfter: z.number().optional(),
  stopReason: z.string().optional(),
  stopDetail: z.string().optional(),
  /** A loop's target pass rate. */
  target: z.number().optional(),
  /** A loop's failures left for a person, with what was tried last; and the fixes waiting for an approval. */
  escalation: z.array(z.object({ scenario: z.string(), message: z.string(), tried: z.string() })).optional(),
  pending: z.array(z.object({ scenario: z.string(), title: z.string(), approvalId: z.string().optional() })).optional(),
  iterations: z.array(
    z.object({
      n: z.number().int(),
      passRateBefore: z.number(),
      passRateAfter: z.number(),
      fixesByType: z.record(z.string(), z.number()),
      rolledBack: z.array(z.string()).optional(),
      fixes: z.array(historyFixSchema),
    }),
  ),
});
export type HistoryRun = z.infer<typeof historyRunSchema>;
export type HistoryFix = z.infer<typeof historyFixSchema>;

/** client → server: the Repair History of a folder, newest run first, a page at a time. */
export namespace HistoryRequest {
  export const method = 'smokeRepair/history';
  export const paramsSchema = z.object({ folderUri: z.string().optional(), cursor: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(100).default(20) });
  export const resultSchema = z.object({ folderUri: z.string().optional(), runs: z.array(historyRunSchema), total: z.number().int(), nextCursor: z.number().int().optional(), problems: z.array(z.string()) });
  export type Params = z.input<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** A fix waiting for a person (or decided): what the Pending Approvals view shows. */
export const approvalItemSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'superseded', 'applied', 'stale']),
  /** needs-review, checked, security, policy, hold-all */
  why: z.string(),
  reason: z.string(),
  title: z.string(),
  scenario: z.string(),
  message: z.string(),
  planner: z.string(),
  dangerScore: z.number(),
  label: z.string(),
  validation: z.string(),
  createdAt: z.number(),
  decision: z.object({ decision: z.enum(['approved', 'rejected']), by: z.string(), at: z.number(), note: z.string().optional() }).optional(),
  outcome: z.string().optional(),
});
export type ApprovalItem = z.infer<typeof approvalItemSchema>;

/** client → server: the approvals of a folder, oldest first: those waiting (pending, or approved and not applied yet), or all. */
export namespace ApprovalsRequest {
  export const method = 'smokeRepair/approvals';
  export const paramsSchema = z.object({ folderUri: z.string().optional(), all: z.boolean().default(false) });
  export const resultSchema = z.object({ folderUri: z.string().optional(), approvals: z.array(approvalItemSchema), problems: z.array(z.string()) });
  export type Params = z.input<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
}

/** server → client: approvals were opened or decided (`opened`: those that now wait for a person). */
export namespace ApprovalsChangedNotification {
  export const method = 'smokeRepair/approvalsChanged';
  export const paramsSchema = z.object({ folderUri: z.string(), opened: z.array(approvalItemSchema) });
  export type Params = z.infer<typeof paramsSchema>;
}

/**
 * client → server (`workspace/executeCommand`): approve or reject a fix. The decision is recorded
 * with the OS user of the server and the time; an approved fix is then applied at once (made again
 * from its plan, only as the approved diff), the app reloaded and smoke run, unless a repair loop
 * is running: its next iteration applies it.
 */
export namespace DecideApprovalCommand {
  export const id = CommandIds.decideApproval;
  export const argsSchema = z
    .tuple([z.object({ folderUri: z.string().optional(), approvalId: z.string().min(1), decision: z.enum(['approved', 'rejected']), note: z.string().optional() })]);
  export const resultSchema = z.union([
    z.object({
      ok: z.literal(true),
      approval: approvalItemSchema,
      /** What became of an approved fix: applied (with the pass rate after), stale, or left to the running loop. */
      detail: z.string(),
      passRateAfter: z.number().optional(),
    }),
    z.object({ ok: z.literal(false), message: z.string() }),
  ]);
  export type Result = z.infer<typeof resultSchema>;
}

/** client → server: the diff a repair record kept, or that an approval asks about. */
export namespace RecordDiffRequest {
  export const method = 'smokeRepair/recordDiff';
  export const paramsSchema = z
    .object({ folderUri: z.string().optional(), recordId: z.string().optional(), approvalId: z.string().optional() })
    .refine((p) => (p.recordId === undefined) !== (p.approvalId === undefined), 'give recordId or approvalId');
  export const resultSchema = z.object({ diff: z.string() });
  export type Result = z.infer<typeof resultSchema>;
}

/** server → client: the Repair History of a folder changed (a loop, a pass, an apply or a rollback). */
export namespace HistoryChangedNotification {
  export const method = 'smokeRepair/historyChanged';
  export const paramsSchema = z.object({ folderUri: z.string() });
  export type Params = z.infer<typeof paramsSchema>;
}

/** The read-only scheme of a record's diff: `smoke-repair-diff:/<recordId>.diff?<json {folderUri, recordId}>`. */
export const RECORD_DIFF_SCHEME = 'smoke-repair-diff';

/** The read-only scheme of a file's text after a fix: `smoke-repair-patched:/<file>?<json {fixId, file}>`. */
export const PATCHED_SCHEME = 'smoke-repair-patched';

export function patchedUri(fixId: string, file: string): string {
  return `${PATCHED_SCHEME}:/${file.split('/').map(encodeURIComponent).join('/')}?${encodeURIComponent(JSON.stringify({ fixId, file }))}`;
}

/** Reads a patched URI's query (already percent-decoded, as `vscode.Uri.query` gives it). */
export function parsePatchedQuery(decodedQuery: string): PatchedTextRequest.Params | undefined {
  try {
    const parsed = PatchedTextRequest.paramsSchema.safeParse(JSON.parse(decodedQuery));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- the LLM planner in the editor

/**
 * client → server: the LLM API key from the editor's secret store, sent when the server starts and
 * whenever the stored key changes; `apiKey` absent means no key is stored. The server keeps it in
 * memory only. This is the only message that carries the key (a `verbose` trace of the connection
 * shows message contents, so it shows this one too).
 */
export namespace LlmCredentialsNotification {
  export const method = 'smokeRepair/llmCredentials';
  export const paramsSchema = z.object({ apiKey: z.string().min(1).optional() });
  export type Params = z.infer<typeof paramsSchema>;
}

/**
 * server → client: one chat turn with the editor's language model (`llm.provider: vscode-lm`).
 * The client picks a model with `vendor` and `family`, sends the messages (the system text first,
 * as a user message) and answers with the whole text. A failure is a ResponseError whose `data`
 * matches `errorDataSchema`; the server cancels the request (`$/cancelRequest`) when it stops
 * waiting.
 */
export namespace LlmChatRequest {
  export const method = 'smokeRepair/llmChat';
  export const paramsSchema = z.object({
    messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
    temperature: z.number().min(0).max(2),
    responseFormat: z.enum(['json', 'text']),
    vendor: z.string().optional(),
    family: z.string().optional(),
  });
  export const resultSchema = z.object({ text: z.string() });
  /**
   * Why the turn failed: `unavailable` (no language model API, or no model matches), `cancelled`,
   * `noPermissions` (the user did not allow the extension to use the model), `blocked`, `notFound`,
   * `failed` (anything else); `detail` is the model API's own error code when it gave one.
   */
  export const errorDataSchema = z.object({
    kind: z.enum(['unavailable', 'cancelled', 'noPermissions', 'blocked', 'notFound', 'failed']),
    detail: z.string().optional(),
  });
  export type Params = z.infer<typeof paramsSchema>;
  export type Result = z.infer<typeof resultSchema>;
  export type ErrorData = z.infer<typeof errorDataSchema>;
}
