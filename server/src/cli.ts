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
import { formatSmokeTable } from './cliTable';

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
  classify   Classify a failure from log text read on standard input.
             --json            print JSON
  help       Show this help.

Exit codes: 0 all pass, 1 some fail, 2 bad usage, configuration or environment.`;

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
