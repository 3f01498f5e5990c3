import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result, ThreadFlowLocation } from 'sarif';
import type { FailureType, SmokeReport, Violation } from '../model';
import type { CiReport } from './ci';
import { framesAsRun, violationPlace, workspacePath, type Place } from './places';

/**
 * The SARIF 2.1.0 report, for code scanning: one result per violation at the innermost workspace
 * frame of its trace (else the place the run gave it), the trace's workspace frames as a code flow
 * in the order the code ran, paths relative to the workspace (`%SRCROOT%`).
 */

export interface ToolInfo {
  name: string;
  version: string;
  informationUri?: string;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';

const FAILURE_WORDS: Record<FailureType, string> = {
  TRANSIENT: 'A transient failure (a retry may pass)',
  INFRA: 'The app or what it runs on is not up',
  TEST_ASSERT: 'The response is not what the scenario expects',
  LINT: 'A lint failure',
  TYPECHECK: 'A type error',
  SECURITY: 'A security failure',
  POLICY: 'A policy failure',
  RUNTIME: 'The app fails at run time',
  SCHEMA_MIGRATION: 'The database schema does not match the code',
  RATE_LIMIT: 'The app refused the request for its rate limit',
  UNKNOWN: 'A failure of unknown kind',
};

/** The rule a violation is reported under: its exception class when it has a trace, else its failure type and repair strategy. */
export function ruleOf(v: Violation): ReportingDescriptor {
  if (v.trace) {
    const cls = v.trace.exceptionClass;
    return { id: cls, shortDescription: { text: `${cls} raised by the app during a smoke scenario` } };
  }
  return { id: `${v.failureType}/${v.strategy}`, shortDescription: { text: `${FAILURE_WORDS[v.failureType]} (repair strategy ${v.strategy})` } };
}

/** A workspace-relative path as a URI reference: each segment percent-encoded. */
function uriOf(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function physical(place: Place) {
  return {
    artifactLocation: { uri: uriOf(place.file), uriBaseId: SRCROOT },
    region: { startLine: place.line, ...(place.column ? { startColumn: place.column } : {}) },
  };
}

/**
 * A result is always located: code scanning refuses a whole file when one result has no location
 * in the repository. A failure with nowhere better to point (the app exited without a trace) is
 * put on the first line of the configuration file, the one that says how the app is run.
 */
function configPlace(smoke: SmokeReport): Place {
  return { file: workspacePath(smoke.configFile, smoke.workspace) ?? 'smoke-repair.yaml', line: 1 };
}

function resultOf(v: Violation, ruleIndex: number, ruleId: string, smoke: SmokeReport): Result {
  const own = violationPlace(v, smoke.workspace);
  const place = own ?? configPlace(smoke);
  // The frames as the code ran; the steps code scanning can show are those in the workspace, each
  // keeping its order and depth in the whole trace (the framework's frames fall between them).
  const frames = v.trace ? framesAsRun(v.trace) : [];
  const steps: ThreadFlowLocation[] = frames.flatMap((f, i) => {
    const file = f.inWorkspace && f.line >= 1 ? workspacePath(f.file, smoke.workspace) : undefined;
    if (!file) return [];
    const location = { physicalLocation: physical({ file, line: f.line, column: f.column }), message: { text: `${f.function} (${file}:${f.line})` } };
    return [{ location, executionOrder: i + 1, nestingLevel: i, importance: 'essential' as const }];
  });
  const exception = v.trace ? `${v.trace.exceptionClass}${v.trace.message ? `: ${v.trace.message.split('\n')[0]}` : ''}` : '';
  return {
    ruleId,
    ruleIndex,
    level: 'error',
    kind: 'fail',
    message: { text: v.message },
    locations: [{ physicalLocation: physical(place), ...(place.function ? { logicalLocations: [{ name: place.function, kind: 'function' }] } : {}) }],
    ...(steps.length ? { codeFlows: [{ message: { text: exception }, threadFlows: [{ locations: steps }] }] } : {}),
    partialFingerprints: { 'smokeRepairViolation/v1': v.id },
    properties: {
      scenario: v.scenario,
      scenarioId: v.scenarioId,
      request: `${v.method} ${v.path}`,
      expectedStatus: v.expectedStatus,
      actualStatus: v.actualStatus,
      failureType: v.failureType,
      strategy: v.strategy,
      ...(v.trace ? { exceptionClass: v.trace.exceptionClass, frames: frames.length } : {}),
      locationKind: own ? v.locationKind : 'none',
      ...(v.attribution ? { attribution: v.attribution } : {}),
      tags: [...new Set([v.failureType, v.strategy])],
    },
  };
}

export function sarifReport(report: CiReport, tool: ToolInfo): Log {
  const { smoke, loop, records } = report;
  const rules: ReportingDescriptor[] = [];
  const results = smoke.violations.map((v) => {
    const rule = ruleOf(v);
    let index = rules.findIndex((r) => r.id === rule.id);
    if (index < 0) index = rules.push({ ...rule, defaultConfiguration: { level: 'error' } }) - 1;
    return resultOf(v, index, rule.id, smoke);
  });
  const root = pathToFileURL(smoke.workspace).href;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, ...(tool.informationUri ? { informationUri: tool.informationUri } : {}), rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: root.endsWith('/') ? root : `${root}/`, description: { text: 'The workspace: the folder with smoke-repair.yaml.' } } },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: new Date(smoke.startedAt).toISOString(),
            endTimeUtc: new Date(smoke.startedAt + smoke.durationMs).toISOString(),
          },
        ],
        results,
        properties: {
          baseUrl: smoke.baseUrl,
          runtime: smoke.runtime,
          passRate: smoke.passRate,
          passed: smoke.passed,
          total: smoke.total,
          ...(loop
            ? {
                loop: {
                  id: loop.id,
                  iterations: loop.iterations.length,
                  ...(loop.passRateStart !== undefined ? { passRateStart: loop.passRateStart } : {}),
                  ...(loop.passRateEnd !== undefined ? { passRateEnd: loop.passRateEnd } : {}),
                  ...(loop.stopReason ? { stopReason: loop.stopReason } : {}),
                },
              }
            : {}),
          fixesApplied: records.filter((r) => r.applied).map((r) => ({ record: r.id, scenario: r.violation.scenario, operations: r.plan?.operations.map((o) => o.type) ?? [] })),
        },
      },
    ],
  };
}
