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

/** `source` of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'smoke-repair';

/** Commands contributed by the extension. Only `runSmoke` is also a server command. */
export const CommandIds = {
  runSmoke: 'smokeRepair.runSmoke',
  showOutput: 'smokeRepair.showOutput',
  restartServer: 'smokeRepair.restartServer',
} as const;

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
