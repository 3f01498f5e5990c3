import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  classifyLog,
  ConfigError,
  EnvironmentError,
  LocatedError,
  runSmoke,
  type Progress,
  type SmokeReport,
} from './engine';
import { formatPlans, formatRepairSummary, formatSmokeTable } from './cliTable';
import { ApplyError, rollback as rollbackCheckpoint } from './engine/apply';
import { loadConfig } from './engine/config';
import { planAll, repairOnce, UnknownViolationError } from './engine/repair';

/**
 * The command-line entry: the engine without an editor, for terminals and CI.
 * Exit codes: 0 all scenarios pass, 1 some fail, 2 bad usage, configuration or environment.
 */

const USAGE = `Usage: smoke-repair <command> [options]

Commands:
  smoke      Run the smoke scenarios against the running app and report failures.
             --workspace DIR   the folder with smoke-repair.yaml (default: current folder)
             --config FILE     another configuration file, relative to the workspace
             --json            print one JSON document instead of the table
             --quiet           no progress lines on stderr
  plan       Run smoke, then plan a fix for each failure: the plan, its policy decisions and its diff.
             --workspace DIR   --config FILE   --quiet
             --violation ID    only this violation (id or scenario id)
             --json            print one JSON document
  repair     Run smoke, plan, validate in a sandbox and apply every safe, validated fix; run smoke again.
             --once            one pass (required; the iterating loop is not available yet)
             --workspace DIR   --config FILE   --violation ID   --quiet
             --dry-run         plan and validate only; write nothing but the run records
             --json            print the run summary as JSON
  rollback   Restore the files of the last applied fix (or --checkpoint ID) byte for byte.
             --workspace DIR
             --checkpoint ID   a checkpoint from .smoke-repair/checkpoints/
             --force           restore files changed since the fix was applied
             --json            print JSON
  classify   Classify a failure from log text read on standard input.
             --json            print JSON
  help       Show this help.

Exit codes: 0 ok (all pass; every failure planned; rolled back), 1 failures remain (or a rollback
was refused), 2 bad usage, configuration or environment.`;

export const EXIT = { ok: 0, failures: 1, usage: 2 } as const;

class UsageError extends Error {}

function stderrProgress(quiet: boolean): Progress {
  if (quiet) return { report() {} };
  return {
    report(message, fraction) {
      const pct = fraction === undefined ? '' : `${String(Math.round(fraction * 100)).padStart(3)}% `;
      process.stderr.write(`${pct}${message}\n`);
    },
  };
}

async function smoke(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      workspace: { type: 'string', short: 'w' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: SmokeReport;
  try {
    report = await runSmoke({
      workspace,
      configFile: values.config,
      progress: stderrProgress(values.quiet || false),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (values.json) process.stdout.write(JSON.stringify({ version: 1, ...report }, null, 2) + '\n');
  else process.stdout.write(formatSmokeTable(report, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }));
  return report.passed === report.total ? EXIT.ok : EXIT.failures;
}

function withSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return run(controller.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}

const commonOptions = {
  workspace: { type: 'string', short: 'w' },
  config: { type: 'string', short: 'c' },
  violation: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const;

async function planCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: commonOptions, strict: true, allowPositionals: false });
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const loaded = await loadConfig(workspace, values.config);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const progress = stderrProgress(values.quiet || false);
  const report = await withSignals((signal) => runSmoke({ workspace, configFile: values.config, progress, signal }));
  progress.report('Planning fixes');
  const rows = await planAll(workspace, report, { config: loaded.config, violationId: values.violation });
  if (values.json) {
    const plans = rows.map((r) => ({
      violation: { id: r.violation.id, scenario: r.violation.scenario, message: r.violation.message },
      ...(r.fix ? { fix: r.fix } : {}),
      ...(r.noPlan ? { noPlan: r.noPlan } : {}),
      ...(r.passedOver.length ? { passedOver: r.passedOver } : {}),
      ...(r.planPolicy ? { planPolicy: r.planPolicy } : {}),
      ...(r.patch ? { diff: r.patch.diff, diffStats: r.patch.stats } : {}),
      ...(r.patchError ? { patchError: r.patchError } : {}),
      ...(r.patchPolicy ? { patchPolicy: r.patchPolicy } : {}),
      timings: r.timings,
    }));
    process.stdout.write(JSON.stringify({ version: 1, passRate: report.passRate, plans }, null, 2) + '\n');
  } else {
    process.stdout.write(formatPlans(rows));
  }
  return rows.every((r) => r.patch && r.patchPolicy?.allowed) ? EXIT.ok : EXIT.failures;
}

async function repairCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...commonOptions, once: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (!values.once) throw new UsageError('repair needs --once (one pass: smoke, repair, smoke again)');
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const summary = await withSignals((signal) =>
    repairOnce({
      workspace,
      configFile: values.config,
      violationId: values.violation,
      progress: stderrProgress(values.quiet || false),
      signal,
      apply: values['dry-run'] ? 'none' : 'safe',
    }),
  );
  if (values.json) {
    const { reportAfter: _omit, ...rest } = summary;
    process.stdout.write(JSON.stringify({ version: 1, ...rest }, null, 2) + '\n');
  } else {
    process.stdout.write(formatRepairSummary(summary));
  }
  return summary.passedAfter === summary.total ? EXIT.ok : EXIT.failures;
}

async function rollbackCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      workspace: { type: 'string', short: 'w' },
      checkpoint: { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const workspace = path.resolve(values.workspace ?? process.cwd());
  try {
    const r = await rollbackCheckpoint(workspace, { checkpointId: values.checkpoint, force: values.force });
    if (values.json) process.stdout.write(JSON.stringify({ version: 1, checkpoint: r.checkpoint.id, fixId: r.checkpoint.fixId, restored: r.restored, deleted: r.deleted }, null, 2) + '\n');
    else {
      const lines = [`Rolled back ${r.checkpoint.id} (fix ${r.checkpoint.fixId}).`];
      for (const f of r.restored) lines.push(`  restored ${f}`);
      for (const f of r.deleted) lines.push(`  deleted  ${f} (created by the fix)`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ApplyError)) throw err;
    process.stderr.write(`smoke-repair: ${err.message}\n`);
    if (err.code === 'changed_since' || (err.code === 'no_checkpoint' && !values.checkpoint)) return EXIT.failures;
    return EXIT.usage;
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('classify reads log text on standard input, e.g. `smoke-repair classify < app.log`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function classifyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true, allowPositionals: false });
  const text = await readStdin();
  const result = classifyLog(text);
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    const lines = [
      `failure type:    ${result.failureType}`,
      `strategy:        ${result.strategy}`,
      `exception class: ${result.exceptionClass ?? '(none found)'}`,
      `retry can help:  ${result.retryable ? 'yes' : 'no'}`,
    ];
    if (result.trace?.frames.length) {
      const f = result.trace.frames;
      const top = result.trace.language === 'python' ? f[f.length - 1] : f[0];
      lines.push(`raised at:       ${top.file}:${top.line} in ${top.function}`);
    }
    if (result.signals.length) lines.push(`signals:         ${result.signals.join('; ')}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'smoke':
        return await smoke(rest);
      case 'classify':
        return await classifyCommand(rest);
      case 'plan':
        return await planCommand(rest);
      case 'repair':
        return await repairCommand(rest);
      case 'rollback':
        return await rollbackCommand(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return EXIT.ok;
      case '--version':
      case 'version':
        process.stdout.write(`${readVersion()}\n`);
        return EXIT.ok;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err);
  }
}

function readVersion(): string {
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

function reportError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`smoke-repair: the configuration has problems:\n${err.errors.map((e) => `  ${e.format()}`).join('\n')}\n`);
    return EXIT.usage;
  }
  if (err instanceof LocatedError) {
    process.stderr.write(`smoke-repair: ${err.format()}\n`);
    return EXIT.usage;
  }
  if (err instanceof EnvironmentError) {
    process.stderr.write(`smoke-repair: ${err.message}\n  ${err.remedy}\n`);
    return EXIT.usage;
  }
  if (err instanceof UnknownViolationError) {
    process.stderr.write(`smoke-repair: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`smoke-repair: ${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if ((err as Error).name === 'AbortError') {
    process.stderr.write('smoke-repair: stopped\n');
    return EXIT.usage;
  }
  process.stderr.write(`smoke-repair: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT.usage;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(String(err) + '\n');
      process.exitCode = EXIT.usage;
    },
  );
}
