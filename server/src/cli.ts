import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  classifyLog,
  ConfigError,
  EnvironmentError,
  LocatedError,
  runSmoke,
  type Progress,
  type SmokeReport,
} from './engine';
import { COMMANDS, commandHelp, findCommand, helpTopic, isParseArgsError, parseCommand, parseCommandWithArgument, unknownCommand, USAGE, usageHint, UsageError, wantsHelp, type CommandSpec } from './cliArgs';
import { formatApprovals, formatPatterns, formatHistory, formatLoop, formatPlans, formatRepairSummary, formatSmokeTable } from './cliTable';
import { ApprovalError, approverName, decideApproval, listApprovals } from './engine/approvals';
import { closePatternStores, learningOf, patternStoreFor } from './engine/learn';
import { exportPatterns, importPatterns, PatternFileError } from './engine/learn/exchange';
import { describeHandFix, learnHandFixes, observeRun, pendingHandFixes } from './engine/learn/handEdits';
import { listLoopRecords, repairLoop } from './engine/loop';
import { listRecords } from './engine/records';
import { ApplyError } from './engine/apply';
import { loadConfig } from './engine/config';
import { Redactor } from './engine/redact';
import { writeFileAtomic } from './engine/files/atomicWrite';
import { closest } from './engine/config/suggest';
import { gatherCiReport, renderCiReport, REPORT_FORMATS, type ReportFormat } from './engine/report/ci';
import { githubSourceLink } from './engine/report/markdown';
import { planAll, recordPrompts, repairOnce, rollbackFix, UnknownViolationError } from './engine/repair';

/**
 * The command-line entry: the engine without an editor, for terminals and CI.
 * Exit codes: 0 all scenarios pass, 1 some fail, 2 bad usage, configuration or environment.
 */

// What each command accepts and its help: ./cliArgs.ts.

export const EXIT = { ok: 0, failures: 1, usage: 2 } as const;

function stderrProgress(quiet: boolean): Progress {
  if (quiet) return { report() {} };
  return {
    report(message, fraction) {
      const pct = fraction === undefined ? '' : `${String(Math.round(fraction * 100)).padStart(3)}% `;
      process.stderr.write(`${pct}${message}\n`);
    },
  };
}

/**
 * Credentials written into the configuration file, one warning line each on stderr (the value is
 * never printed). The run goes on; a configuration with errors is reported by the run itself.
 */
async function warnAboutConfig(workspace: string, configFile: string | undefined, quiet: boolean): Promise<void> {
  if (quiet) return;
  const loaded = await loadConfig(workspace, configFile);
  if (!loaded.ok) return;
  for (const w of loaded.warnings) process.stderr.write(`smoke-repair: warning: ${w.format()}\n`);
}

async function smoke(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.smoke, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  await warnAboutConfig(workspace, values.config, values.quiet || false);
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
  await handFixesAfterSmoke(workspace, values.config, report, { learn: values.learn || false, quiet: values.quiet || false });
  return report.passed === report.total ? EXIT.ok : EXIT.failures;
}

/**
 * A person's fixes since the last run (a failing scenario that passes after an edit of its files):
 * learned with `--learn` or `learning.handEdits: always`; otherwise said, and kept for later.
 * Learning never changes the run's outcome: a store that cannot be written is said on stderr.
 */
async function handFixesAfterSmoke(workspace: string, configFile: string | undefined, report: SmokeReport, opts: { learn: boolean; quiet: boolean }): Promise<void> {
  const say = (line: string) => opts.quiet || process.stderr.write(`${line}\n`);
  try {
    const learning = await learningOf(workspace, configFile);
    const found = await observeRun(workspace, report, learning);
    const learnNow = learning.handEdits !== 'never' && learning.enabled !== false && (opts.learn || learning.handEdits === 'always');
    if (learnNow) {
      const pending = await pendingHandFixes(workspace);
      const n = await learnHandFixes(workspace, pending, learning);
      for (const f of pending) say(`Learned your fix: ${describeHandFix(f)}`);
      if (n === 0 && opts.learn) say('No fix made by hand waits to be learned.');
    } else {
      for (const f of found) say(`Fixed by hand since the last run: ${describeHandFix(f)}. Learn it with \`smoke-repair smoke --learn\` (or learning.handEdits: always).`);
    }
  } catch (err) {
    say(`Not learned from this run: ${(err as Error).message}`);
  }
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

async function planCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.plan, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const loaded = await loadConfig(workspace, values.config);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  await warnAboutConfig(workspace, values.config, values.quiet || false);
  const progress = stderrProgress(values.quiet || false);
  const report = await withSignals((signal) => runSmoke({ workspace, configFile: values.config, progress, signal }));
  progress.report('Planning fixes');
  const rows = await planAll(workspace, report, { config: loaded.config, violationId: values.violation });
  // What was sent to a model is kept in a run record, as a repair would keep it.
  const runId = `plan-${randomBytes(4).toString('hex')}`;
  const records = new Map<(typeof rows)[number], string>();
  for (const [i, r] of rows.entries()) {
    const file = await recordPrompts(workspace, report, r, `${runId}-${String(i + 1).padStart(2, '0')}`, 'planned by `smoke-repair plan`: not validated or applied');
    if (file) records.set(r, path.relative(workspace, file).split(path.sep).join('/'));
  }
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
      ...(records.has(r) ? { record: records.get(r) } : {}),
      timings: r.timings,
    }));
    process.stdout.write(JSON.stringify({ version: 1, passRate: report.passRate, plans }, null, 2) + '\n');
  } else {
    process.stdout.write(formatPlans(rows));
    for (const file of records.values()) process.stdout.write(`The prompt sent to the model is recorded in ${file}\n`);
  }
  return rows.every((r) => r.patch && r.patchPolicy?.allowed) ? EXIT.ok : EXIT.failures;
}

/** A pass rate given on the command line: 0..1, or a percentage (`90%`). */
function parseTarget(text: string): number {
  const pctForm = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const value = pctForm ? Number(pctForm[1]) / 100 : Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`--target must be a pass rate between 0 and 1, or a percentage such as 90% (got "${text}")`);
  return value;
}

function parseIterations(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 100) throw new UsageError(`--max-iterations must be a whole number from 1 to 100 (got "${text}")`);
  return value;
}

async function repairCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.repair, args);
  if (values.once && values.loop) throw new UsageError('repair takes --once or --loop, not both');
  if (!values.once && !values.loop) throw new UsageError('repair needs --once (one pass: smoke, repair, smoke again) or --loop (passes until the target)');
  if (!values.loop && (values['max-iterations'] !== undefined || values.target !== undefined)) throw new UsageError('--max-iterations and --target go with --loop');
  if (values.loop && values.violation !== undefined) throw new UsageError('--violation goes with --once: the loop repairs every failure');
  const approve = parseApprove(values.approve);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  if (values.loop) {
    const target = values.target === undefined ? 1 : parseTarget(values.target);
    const maxIterations = values['max-iterations'] === undefined ? 5 : parseIterations(values['max-iterations']);
    await warnAboutConfig(workspace, values.config, values.quiet || false);
    const quietly = values.quiet || false;
    const { record, file } = await withSignals((signal) =>
      repairLoop({
        workspace,
        configFile: values.config,
        progress: stderrProgress(quietly),
        signal,
        apply: values['dry-run'] ? 'none' : 'safe',
        approve,
        target,
        maxIterations,
        log: (line) => {
          if (!quietly) process.stderr.write(`${line}\n`);
        },
      }),
    );
    if (values.json) process.stdout.write(JSON.stringify({ ...record, file }, null, 2) + '\n');
    else process.stdout.write(formatLoop(record, file));
    const last = record.iterations.at(-1);
    return last && last.passedAfter === last.total ? EXIT.ok : EXIT.failures;
  }
  await warnAboutConfig(workspace, values.config, values.quiet || false);
  const summary = await withSignals((signal) =>
    repairOnce({
      workspace,
      configFile: values.config,
      violationId: values.violation,
      progress: stderrProgress(values.quiet || false),
      signal,
      apply: values['dry-run'] ? 'none' : 'safe',
      approve,
    }),
  );
  if (values.json) {
    const { reportAfter: _omit, reportBefore: _before, ...rest } = summary;
    process.stdout.write(JSON.stringify({ version: 1, ...rest }, null, 2) + '\n');
  } else {
    process.stdout.write(formatRepairSummary(summary));
  }
  return summary.passedAfter === summary.total ? EXIT.ok : EXIT.failures;
}

/** `--approve`, or undefined (then `loop.approve` in smoke-repair.yaml, else safe). */
function parseApprove(text: string | undefined): 'safe' | 'none' | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (value === 'safe' || value === 'none') return value;
  throw new UsageError(`--approve takes safe (apply safe, validated fixes; ask about the rest) or none (ask about every fix), got "${text}"`);
}

/** The fixes waiting for a person's yes; exit 1 while any waits. */
async function approvalsCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.approvals, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const { approvals, problems } = await listApprovals(workspace);
  const shown = values.all ? approvals : approvals.filter((a) => a.status === 'pending' || a.status === 'approved');
  if (values.json) process.stdout.write(JSON.stringify({ version: 1, approvals: shown, problems }, null, 2) + '\n');
  else process.stdout.write(formatApprovals(shown, problems, values.all));
  return approvals.some((a) => a.status === 'pending') ? EXIT.failures : EXIT.ok;
}

/** Approve or reject; an approval is then applied (unless --no-apply) by a pass that applies approved fixes only. */
async function decideCommand(decision: 'approved' | 'rejected', args: string[]): Promise<number> {
  const spec = decision === 'approved' ? COMMANDS.approve : COMMANDS.reject;
  const { values, argument } = parseCommandWithArgument(spec, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  if (values.approver !== undefined && !values.approver.trim()) throw new UsageError('--approver needs a name');
  let approval;
  try {
    approval = await decideApproval(workspace, argument!, decision, approverName(values.approver), values.note);
  } catch (err) {
    if (!(err instanceof ApprovalError)) throw err;
    process.stderr.write(`smoke-repair: ${err.message}\n`);
    return EXIT.usage;
  }
  const done = `${approval.id} ${decision} by ${approval.decision!.by} at ${new Date(approval.decision!.at).toISOString()}`;
  const opts = values as { 'no-apply'?: boolean; config?: string; quiet?: boolean };
  if (decision === 'rejected' || opts['no-apply']) {
    if (values.json) process.stdout.write(JSON.stringify({ version: 1, approval }, null, 2) + '\n');
    else process.stdout.write(`${done}${decision === 'approved' ? '; the next repair applies it' : '; it will not be applied'}\n`);
    return EXIT.ok;
  }
  await warnAboutConfig(workspace, opts.config, opts.quiet || false);
  const summary = await withSignals((signal) =>
    repairOnce({ workspace, configFile: opts.config, progress: stderrProgress(opts.quiet || false), signal, apply: 'safe', onlyApproved: true }),
  );
  const settled = summary.approvals.settled.find((a) => a.id === approval.id) ?? approval;
  if (values.json) {
    const { reportAfter: _after, reportBefore: _before, ...rest } = summary;
    process.stdout.write(JSON.stringify({ version: 1, approval: settled, pass: rest }, null, 2) + '\n');
  } else {
    process.stdout.write(`${done}\n${settled.outcome ? `${settled.status}: ${settled.outcome.detail}\n` : ''}\n${formatRepairSummary(summary)}`);
  }
  return settled.status === 'applied' && summary.passedAfter === summary.total ? EXIT.ok : EXIT.failures;
}

const PATTERN_ACTIONS = ['export', 'import', 'promote', 'demote', 'forget'] as const;
type PatternAction = (typeof PATTERN_ACTIONS)[number];

/** `patterns`: list; `patterns export|import FILE`; `patterns promote|demote|forget KEY`. */
async function patternsCommand(args: string[]): Promise<number> {
  const action = PATTERN_ACTIONS.find((a) => a === args[0]);
  if (!action && args[0] !== undefined && !args[0].startsWith('-')) {
    const guess = closest(args[0], PATTERN_ACTIONS);
    throw new UsageError(`patterns has no action "${args[0]}"${guess ? `; did you mean "${guess}"?` : ''} (${PATTERN_ACTIONS.join(', ')})`);
  }
  const target = action ? args[1] : undefined;
  if (action && (target === undefined || target.startsWith('-'))) throw new UsageError(`patterns ${action} needs ${action === 'export' || action === 'import' ? 'a FILE' : 'a pattern KEY (as `patterns` shows it)'}`);
  const values = parseCommand(COMMANDS.patterns, action ? args.slice(2) : args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const learning = await learningOf(workspace, values.config);
  const store = await patternStoreFor(workspace, learning);
  const print = (json: object, text: string) => process.stdout.write(values.json ? JSON.stringify({ version: 1, ...json }, null, 2) + '\n' : text);
  if (!action) {
    const { patterns, antiPatterns, problems } = await store.list();
    print({ stores: store.layers.map((l) => l.layer), patterns, antiPatterns, problems }, formatPatterns(patterns, antiPatterns, problems));
    return EXIT.ok;
  }
  if (action === 'export' || action === 'import') {
    const file = path.resolve(process.cwd(), target!);
    try {
      if (action === 'export') {
        const out = await exportPatterns(store, file);
        print({ file, events: out.events.length, patterns: out.patterns, antiPatterns: out.antiPatterns }, `Exported ${out.events.length} event${out.events.length === 1 ? '' : 's'} (${out.patterns} fix pattern${out.patterns === 1 ? '' : 's'}, ${out.antiPatterns} anti-pattern${out.antiPatterns === 1 ? '' : 's'}) to ${file}\n`);
      } else {
        const out = await importPatterns(store, file);
        print({ file, added: out.added, skipped: out.skipped, patterns: out.patterns, antiPatterns: out.antiPatterns }, `Imported ${file}: ${out.added} new event${out.added === 1 ? '' : 's'}, ${out.skipped} already known (${out.patterns} fix pattern${out.patterns === 1 ? '' : 's'}, ${out.antiPatterns} anti-pattern${out.antiPatterns === 1 ? '' : 's'} in the file)\n`);
      }
    } catch (err) {
      if (!(err instanceof PatternFileError)) throw err;
      process.stderr.write(`smoke-repair: ${err.message}\n`);
      return EXIT.usage;
    }
    return EXIT.ok;
  }
  const { patterns, antiPatterns } = await store.list();
  const keys = [...patterns.map((p) => p.key), ...(action === 'forget' ? antiPatterns.map((a) => a.key) : [])];
  const matches = keys.includes(target!) ? [target!] : keys.filter((k) => k.startsWith(target!));
  if (matches.length !== 1) {
    process.stderr.write(`smoke-repair: ${matches.length ? `"${target}" names ${matches.length} patterns (${matches.slice(0, 5).join(', ')}); give more of the key` : `no ${action === 'forget' ? 'pattern or anti-pattern' : 'fix pattern'} "${target}" (\`smoke-repair patterns\` lists them)`}\n`);
    return EXIT.usage;
  }
  const key = matches[0]!;
  const by = approverName(values.by);
  const done = action === 'forget' ? await store.forget(key) : await store[action as Exclude<PatternAction, 'export' | 'import' | 'forget'>](key, by);
  const verb = { promote: 'promoted', demote: 'demoted', forget: 'forgotten' }[action];
  print({ key, action, done, ...(action === 'forget' ? {} : { by }) }, `${key} ${verb}${action === 'forget' ? '' : ` by ${by}`}\n`);
  return done ? EXIT.ok : EXIT.usage;
}

async function historyCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.history, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  const { loops, problems: loopProblems } = await listLoopRecords(workspace);
  const { records, problems } = await listRecords(workspace);
  if (values.json) {
    process.stdout.write(JSON.stringify({ version: 1, loops, records, problems: [...loopProblems, ...problems] }, null, 2) + '\n');
  } else {
    process.stdout.write(formatHistory(loops, records, [...loopProblems, ...problems]));
  }
  return EXIT.ok;
}

const FORMATS = `${REPORT_FORMATS.slice(0, -1).join(', ')} or ${REPORT_FORMATS.at(-1)}`;

function parseFormat(text: string | undefined): ReportFormat {
  if (text === undefined) throw new UsageError(`report needs --format: ${FORMATS}`);
  const format = REPORT_FORMATS.find((f) => f === text.trim().toLowerCase());
  if (format) return format;
  const guess = closest(text, REPORT_FORMATS);
  throw new UsageError(`unknown report format "${text}"${guess ? `; did you mean "${guess}"?` : ''} (${FORMATS})`);
}

/** Smoke, then its failures with the latest repair loop and records, in a format CI reads; exit codes as for smoke. */
async function reportCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.report, args);
  const format = parseFormat(values.format);
  if (values.output !== undefined && values.output.trim() === '') throw new UsageError('--output needs a file name');
  const quiet = values.quiet || false;
  const workspace = path.resolve(values.workspace ?? process.cwd());
  await warnAboutConfig(workspace, values.config, quiet);
  const smokeReport = await withSignals((signal) => runSmoke({ workspace, configFile: values.config, progress: stderrProgress(quiet), signal }));
  const data = await gatherCiReport(workspace, smokeReport);
  const text = renderCiReport(format, data, {
    tool: { name: 'smoke-repair', version: readVersion(), informationUri: 'https://github.com/smoke-repair/smoke-repair' },
    link: githubSourceLink(process.env, workspace),
  });
  if (values.output !== undefined) {
    const file = path.resolve(values.output);
    await writeFileAtomic(file, text);
    if (!quiet) process.stderr.write(`Wrote the ${format} report to ${file}\n`);
  } else {
    process.stdout.write(text);
  }
  return smokeReport.passed === smokeReport.total ? EXIT.ok : EXIT.failures;
}

async function rollbackCommand(args: string[]): Promise<number> {
  const values = parseCommand(COMMANDS.rollback, args);
  const workspace = path.resolve(values.workspace ?? process.cwd());
  try {
    const r = await withSignals((signal) =>
      rollbackFix({
        workspace,
        configFile: values.config,
        checkpointId: values.checkpoint,
        force: values.force,
        reload: !values['no-reload'],
        progress: stderrProgress(values.quiet || false),
        signal,
      }),
    );
    const reload = r.reload;
    if (values.json) {
      process.stdout.write(JSON.stringify({ version: 1, checkpoint: r.checkpoint.id, fixId: r.checkpoint.fixId, restored: r.restored, deleted: r.deleted, ...(reload ? { reload } : {}) }, null, 2) + '\n');
    } else {
      const lines = [`Rolled back ${r.checkpoint.id} (fix ${r.checkpoint.fixId}).`];
      for (const f of r.restored) lines.push(`  restored ${f}`);
      for (const f of r.deleted) lines.push(`  deleted  ${f} (created by the fix)`);
      if (reload) lines.push(`  app: ${reload}`);
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
  const values = parseCommand(COMMANDS.classify, args);
  // Evidence from outside, like a run's log: redacted before anything reads it.
  const text = Redactor.patterns.text(await readStdin());
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

/** Run a command; a team store's connections, which would keep the process alive, are closed once it is done. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await command(argv);
  } finally {
    await closePatternStores();
  }
}

async function command(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const spec = command === undefined ? undefined : findCommand(command);
  try {
    switch (command) {
      case undefined:
        throw new UsageError('no command given', USAGE);
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return EXIT.ok;
      case '--version':
        process.stdout.write(`${readVersion()}\n`);
        return EXIT.ok;
    }
    if (!spec) throw new UsageError(unknownCommand(command), USAGE);
    if (wantsHelp(spec, rest)) {
      process.stdout.write(commandHelp(spec) + '\n');
      return EXIT.ok;
    }
    switch (spec.name as keyof typeof COMMANDS) {
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
      case 'report':
        return await reportCommand(rest);
      case 'history':
        return await historyCommand(rest);
      case 'approvals':
        return await approvalsCommand(rest);
      case 'patterns':
        return await patternsCommand(rest);
      case 'approve':
        return await decideCommand('approved', rest);
      case 'reject':
        return await decideCommand('rejected', rest);
      case 'help': {
        const topic = helpTopic(rest);
        process.stdout.write((topic ? commandHelp(topic) : USAGE) + '\n');
        return EXIT.ok;
      }
      case 'version':
        parseCommand(COMMANDS.version, rest);
        process.stdout.write(`${readVersion()}\n`);
        return EXIT.ok;
    }
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) return reportUsageError(err as Error, spec);
    return reportError(err);
  }
}

/** The message, then the command's synopsis (or the list of commands); exit 2. */
function reportUsageError(err: Error, spec: CommandSpec | undefined): number {
  const usage = (err instanceof UsageError ? err.usage : undefined) ?? (spec ? usageHint(spec) : USAGE);
  process.stderr.write(`smoke-repair: ${err.message}\n\n${usage}\n`);
  return EXIT.usage;
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
