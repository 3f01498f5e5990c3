import { parseArgs } from 'node:util';
import { closest } from './engine/config/suggest';

/**
 * What each command of the command line accepts, and its help: one description per command, from
 * which both the parser's options and the help text come, so that the two cannot disagree.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in the help, for string options: DIR, FILE, ID. */
  arg?: string;
  /** One line. */
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** What follows `smoke-repair ` in the synopsis. */
  usage: string;
  /** Paragraphs after the synopsis; the summary when absent. */
  description?: readonly string[];
  options: O;
  /** The one word the command takes besides its options (`approve ID`), when it takes one. */
  argument?: { name: string; help: string };
  examples: readonly string[];
  exitCodes: readonly (readonly [code: number, meaning: string])[];
}

/** Options a command reads, as the parser returns them: booleans default to false. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : string | undefined };

/** Bad usage: exit 2 with the command's synopsis, or with `usage` when given. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

const workspace = { type: 'string', short: 'w', arg: 'DIR', help: 'the folder with smoke-repair.yaml (default: the current folder)' } as const;
const config = { type: 'string', short: 'c', arg: 'FILE', help: 'another configuration file, relative to the workspace' } as const;
const quiet = { type: 'boolean', short: 'q', help: 'no progress lines on stderr' } as const;
const violation = { type: 'string', arg: 'ID', help: 'only this violation (its id, or its scenario id)' } as const;
const unreachable = 'bad usage, a bad configuration, or the Docker engine or the app cannot be reached (the message says what to do)';

export const COMMANDS = {
  smoke: {
    name: 'smoke',
    summary: 'Run the smoke scenarios against the running app and report each failure.',
    usage: 'smoke [--workspace DIR] [--config FILE] [--learn] [--json] [--quiet]',
    description: [
      'Run the smoke scenarios against the running app and report each failure where it happened.',
      'Prints a table of the scenarios and the pass rate; with --json, one document with passRate, passed, total, scenarios[] and violations[].',
      'A scenario that failed at the last run and passes now after you edited the files its failure pointed at is a fix made by hand: it is said on stderr, and learned as a pattern with --learn (or learning.handEdits: always), so the next similar failure is offered the same fix.',
    ],
    options: {
      workspace,
      config,
      learn: { type: 'boolean', help: 'learn the fixes you made by hand since the last run (see learning.handEdits)' },
      json: { type: 'boolean', help: 'print one JSON document instead of the table' },
      quiet,
    },
    examples: ['smoke-repair smoke', 'smoke-repair smoke --workspace ../shop-api --quiet', 'smoke-repair smoke --json > smoke.json'],
    exitCodes: [
      [0, 'every scenario passes'],
      [1, 'some scenario fails'],
      [2, unreachable],
    ],
  },
  plan: {
    name: 'plan',
    summary: 'Run smoke, then plan a fix for each failure: the plan, its policy decisions and its diff.',
    usage: 'plan [--workspace DIR] [--config FILE] [--violation ID] [--json] [--quiet]',
    description: [
      'Run smoke, then plan a fix for each failure and print the plan (or why there is none), the policy decisions (allowed or blocked, danger score, safe or needs-review) and the diff.',
    ],
    options: {
      workspace,
      config,
      violation,
      json: { type: 'boolean', help: 'print one JSON document instead of the plans' },
      quiet,
    },
    examples: ['smoke-repair plan', 'smoke-repair plan --violation add-item --json'],
    exitCodes: [
      [0, 'every failure has a patch the policy allows (or nothing fails)'],
      [1, 'some failure has no allowed patch'],
      [2, `${unreachable}, or no such violation`],
    ],
  },
  repair: {
    name: 'repair',
    summary: 'Run smoke, plan, validate in a sandbox and apply every safe, validated fix; run smoke again.',
    usage: 'repair --once|--loop [--max-iterations N] [--target R] [--approve safe|none] [--workspace DIR] [--config FILE] [--violation ID] [--dry-run] [--json] [--quiet]',
    description: [
      'Run smoke, then plan, validate in a sandbox and apply every safe, validated fix, restart (or rebuild) the app and run smoke again.',
      'Prints per failure the planner, the decision, the validation, whether the fix was applied and why, and the pass rate before and after.',
      'With --loop, passes follow each other until the target pass rate, the iteration limit, a pass that gains nothing, or a regression (whose applies are rolled back); the loop record (.smoke-repair/loops/) says why it stopped and what is left for a person.',
      "A fix that needs review, was checked without running its scenarios, or repairs a SECURITY or POLICY failure is not applied: it waits in .smoke-repair/approvals/ for a person's yes (smoke-repair approvals, approve, reject); each pass first applies what was approved since.",
    ],
    options: {
      once: { type: 'boolean', help: 'one pass: smoke, repair, smoke again' },
      loop: { type: 'boolean', help: 'passes until the target, the limit, a plateau or a regression' },
      'max-iterations': { type: 'string', arg: 'N', help: 'with --loop: at most N passes (default 5)' },
      target: { type: 'string', arg: 'R', help: 'with --loop: stop at this pass rate, 0..1 or a percentage (default 1)' },
      workspace,
      config,
      violation,
      'dry-run': { type: 'boolean', help: 'plan and validate only; write nothing but the run records' },
      approve: { type: 'string', arg: 'WHAT', help: 'safe (default): apply safe, validated fixes and ask a person about the rest; none: ask a person about every fix' },
      json: { type: 'boolean', help: 'print the run summary as JSON' },
      quiet,
    },
    examples: [
      'smoke-repair repair --once',
      'smoke-repair repair --once --dry-run',
      'smoke-repair repair --once --violation add-item --json',
      'smoke-repair repair --loop --max-iterations 3 --target 0.9',
      'smoke-repair repair --loop --approve none',
    ],
    exitCodes: [
      [0, 'every scenario passes afterwards'],
      [1, 'failures remain'],
      [2, `${unreachable}, or no such violation`],
    ],
  },
  history: {
    name: 'history',
    summary: 'List the repair loops and passes recorded in .smoke-repair/, newest last.',
    usage: 'history [--workspace DIR] [--json]',
    description: ['Each loop with its pass rate per iteration, the fixes applied and why it stopped; then the passes run on their own (repair --once). A record that cannot be read is named, never fatal.'],
    options: { workspace, json: { type: 'boolean', help: 'print the loops and records as JSON' } },
    examples: ['smoke-repair history', 'smoke-repair history --json'],
    exitCodes: [
      [0, 'history shown (also when empty)'],
      [2, 'bad usage'],
    ],
  },
  approvals: {
    name: 'approvals',
    summary: "List the fixes waiting for a person's yes (and, with --all, those decided).",
    usage: 'approvals [--workspace DIR] [--all] [--json]',
    description: [
      "Each fix the repair held for a person: its id, the failure, why it waits (needs review, checked without running its scenarios, a SECURITY or POLICY failure, --approve none), its danger score, validation and diff. Approve one with `smoke-repair approve ID`, reject it with `smoke-repair reject ID`.",
    ],
    options: {
      workspace,
      all: { type: 'boolean', help: 'also the approvals decided, applied, stale or superseded' },
      json: { type: 'boolean', help: 'print the approvals as JSON' },
    },
    examples: ['smoke-repair approvals', 'smoke-repair approvals --all --json'],
    exitCodes: [
      [0, 'nothing waits for a person'],
      [1, 'some fix waits for a person'],
      [2, 'bad usage'],
    ],
  },
  approve: {
    name: 'approve',
    summary: 'Approve a fix that waits for a person, then apply it, restart the app and run smoke again.',
    usage: 'approve ID [--approver NAME] [--note TEXT] [--no-apply] [--workspace DIR] [--config FILE] [--json] [--quiet]',
    description: [
      'Record the decision (who: the operating-system user, or --approver; when), then apply the fix exactly as its diff shows it, restart (or rebuild) the app and run smoke again. A fix whose files changed since it was asked about is not applied in another form: it is marked stale, and the next repair plans again.',
      'With --no-apply, only the decision is recorded; the next repair pass (or loop iteration) applies it.',
    ],
    options: {
      approver: { type: 'string', arg: 'NAME', help: 'who approves (default: the operating-system user)' },
      note: { type: 'string', arg: 'TEXT', help: 'a note kept with the decision' },
      'no-apply': { type: 'boolean', help: 'record the decision only; the next repair applies it' },
      workspace,
      config,
      json: { type: 'boolean', help: 'print the approval and the pass that applied it as JSON' },
      quiet,
    },
    argument: { name: 'ID', help: 'the approval (its id, or a unique start of it)' },
    examples: ['smoke-repair approve apr-20261123T2030-1a2b3c', 'smoke-repair approve apr-2026 --approver alice --note "checked the router guard"', 'smoke-repair approve apr-2026 --no-apply'],
    exitCodes: [
      [0, 'approved (and applied, with every scenario passing afterwards)'],
      [1, 'approved, but not applied (stale) or failures remain'],
      [2, 'bad usage, no such approval, or it was decided already'],
    ],
  },
  reject: {
    name: 'reject',
    summary: 'Reject a fix that waits for a person; it is never applied.',
    usage: 'reject ID [--approver NAME] [--note TEXT] [--workspace DIR] [--json]',
    options: {
      approver: { type: 'string', arg: 'NAME', help: 'who rejects (default: the operating-system user)' },
      note: { type: 'string', arg: 'TEXT', help: 'why, kept with the decision' },
      workspace,
      json: { type: 'boolean', help: 'print the approval as JSON' },
    },
    argument: { name: 'ID', help: 'the approval (its id, or a unique start of it)' },
    examples: ['smoke-repair reject apr-20261123T2030-1a2b3c --note "the route is meant to be private"'],
    exitCodes: [
      [0, 'rejected'],
      [2, 'bad usage, no such approval, or it was decided already'],
    ],
  },
  patterns: {
    name: 'patterns',
    summary: 'List the fix patterns and anti-patterns learned (this workspace, your other workspaces, the team).',
    usage: 'patterns [export FILE | import FILE | promote KEY | demote KEY | forget KEY] [--by NAME] [--workspace DIR] [--config FILE] [--json]',
    description: [
      "Each fix pattern: the kind of failure it fixes (exception class and message shape), its edit type, attempts, successes, the lower bound of its success rate (Wilson, 95%), whether it is promoted, where it came from (tool, person, team) and where it was tried; then the anti-patterns with their occurrences. Learned from every repair and kept in the workspace's .smoke-repair/patterns/, in your own store (shared by your workspaces) and, with learning.neo4j, in the team's Neo4j.",
      'patterns export FILE writes every learned event to FILE (JSON lines: a header, then one event per line), a file a team reviews and commits; patterns import FILE takes one in (each event once: importing it again adds nothing; a bad line is an error naming FILE:LINE and nothing is taken).',
      'patterns promote KEY marks a pattern as proven (tried first, shown as such); demote KEY takes that back; forget KEY removes a pattern or anti-pattern. KEY is the key `patterns` shows (fp-… or ap-…), or a unique start of it.',
    ],
    options: { workspace, config, json: { type: 'boolean', help: 'print the patterns (or what was done) as JSON' }, by: { type: 'string', arg: 'NAME', help: 'who promotes or demotes (default: the operating-system user)' } },
    examples: ['smoke-repair patterns', 'smoke-repair patterns --json', 'smoke-repair patterns export team-patterns.jsonl', 'smoke-repair patterns import team-patterns.jsonl', 'smoke-repair patterns promote fp-3f2a'],
    exitCodes: [
      [0, 'patterns shown (also when none), exported, imported or decided'],
      [2, 'bad usage, a file that is not a patterns file (nothing imported), or no such pattern'],
    ],
  },
  report: {
    name: 'report',
    summary: 'Run smoke and write its failures, with the last repair loop, as JSON, SARIF, JUnit XML or Markdown for CI.',
    usage: 'report --format json|sarif|junit|markdown|prometheus [--workspace DIR] [--config FILE] [--output FILE] [--quiet]',
    description: [
      'Run smoke and write a report of the failures for CI, with the latest repair loop and the repair records that say what was fixed.',
      'sarif: SARIF 2.1.0 for code scanning, one result per failure at the innermost workspace frame of its trace, its workspace frames as a code flow. junit: JUnit XML, one test case per scenario. markdown: a summary for a job page. json: the smoke run, the loop and the records.',
    ],
    options: {
      format: { type: 'string', short: 'f', arg: 'FORMAT', help: 'json, sarif, junit, markdown or prometheus' },
      workspace,
      config,
      output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the report to FILE (relative to the current folder; replaced whole, never half-written) instead of standard output' },
      quiet,
    },
    examples: [
      'smoke-repair report --format sarif --output smoke-repair.sarif',
      'smoke-repair report --format junit --output test-results/smoke.xml --quiet',
      'smoke-repair report --format markdown >> "$GITHUB_STEP_SUMMARY"',
    ],
    exitCodes: [
      [0, 'every scenario passes'],
      [1, 'some scenario fails (the report is written)'],
      [2, `${unreachable}; no report is written`],
    ],
  },
  rollback: {
    name: 'rollback',
    summary: 'Restore the files of the last applied fix (or of --checkpoint ID) byte for byte.',
    usage: 'rollback [--workspace DIR] [--config FILE] [--checkpoint ID] [--force] [--no-reload] [--json] [--quiet]',
    description: [
      'The app is then restarted (or rebuilt, when app.docker.rebuild allows it and a restored file is copied into the image), so the next smoke run sees the old code again.',
    ],
    options: {
      workspace,
      config: { type: 'string', arg: 'FILE', help: 'another configuration file, relative to the workspace (for the reload)' },
      checkpoint: { type: 'string', arg: 'ID', help: 'a checkpoint from .smoke-repair/checkpoints/ instead of the last one' },
      force: { type: 'boolean', help: 'restore files changed since the fix was applied' },
      'no-reload': { type: 'boolean', help: 'restore the files only; leave the app as it is' },
      quiet: { type: 'boolean', help: 'no progress lines on stderr' },
      json: { type: 'boolean', help: 'print what was restored as JSON' },
    },
    examples: ['smoke-repair rollback', 'smoke-repair rollback --checkpoint cp-20250102T030405007Z-a1b2c3 --force'],
    exitCodes: [
      [0, 'rolled back'],
      [1, 'nothing to roll back, or a file changed since the fix (--force restores it anyway)'],
      [2, 'bad usage, or no such checkpoint'],
    ],
  },
  classify: {
    name: 'classify',
    summary: 'Classify a failure from log text read on standard input.',
    usage: 'classify [--json] < app.log',
    description: ['Read log text on standard input and name the failure type, the repair strategy, the exception class and whether a retry can help.'],
    options: {
      json: { type: 'boolean', help: 'print JSON' },
    },
    examples: ['smoke-repair classify < app.log', 'docker compose logs api | smoke-repair classify --json'],
    exitCodes: [
      [0, 'classified'],
      [2, 'bad usage (nothing on standard input)'],
    ],
  },
  help: {
    name: 'help',
    summary: "Show the list of commands, or a command's options, examples and exit codes.",
    usage: 'help [COMMAND]',
    options: {},
    examples: ['smoke-repair help', 'smoke-repair help repair', 'smoke-repair repair --help'],
    exitCodes: [
      [0, 'help shown'],
      [2, 'no such command'],
    ],
  },
  version: {
    name: 'version',
    summary: 'Print the version.',
    usage: 'version',
    options: {},
    examples: ['smoke-repair version', 'smoke-repair --version'],
    exitCodes: [[0, 'version printed']],
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function findCommand(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

function optionLabel(name: string, option: OptionSpec): string {
  const long = `--${name}${option.arg ? ` ${option.arg}` : ''}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

/** The help's line width. */
const WIDTH = 100;

/** `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return line ? [...lines, line] : lines;
}

/** Two columns; the right one wraps under itself. */
function columns(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  const hang = ' '.repeat(indent.length + width + 2);
  return rows.flatMap(([left, right]) =>
    wrap(right, Math.max(WIDTH - hang.length, 20)).map((part, i) => (i === 0 ? `${indent}${left.padEnd(width)}  ${part}` : `${hang}${part}`)),
  );
}

export const USAGE = [
  'Usage: smoke-repair <command> [options]',
  '',
  'Commands:',
  ...columns(Object.values(COMMANDS).map((c): [string, string] => [c.name, c.summary])),
  '',
  ...wrap("Run `smoke-repair <command> --help` (or `smoke-repair help <command>`) for a command's options, examples and exit codes."),
  '',
  ...wrap('Exit codes: 0 ok (all pass; every failure planned; rolled back), 1 failures remain (or a rollback was refused), 2 bad usage, configuration or environment.'),
].join('\n');

/** The synopsis and where to find more, printed after a usage error in that command. */
export function usageHint(spec: CommandSpec): string {
  return `Usage: smoke-repair ${spec.usage}\nRun \`smoke-repair ${spec.name} --help\` for its options.`;
}

/** The whole help of one command. */
export function commandHelp(spec: CommandSpec): string {
  const options = [...Object.entries(spec.options), ['help', HELP_OPTION] as const];
  return [
    `Usage: smoke-repair ${spec.usage}`,
    '',
    ...(spec.description ?? [spec.summary]).flatMap((p) => [...wrap(p), '']),
    ...(spec.argument ? ['Argument:', ...columns([[spec.argument.name, spec.argument.help]]), ''] : []),
    'Options:',
    ...columns(options.map(([name, option]): [string, string] => [optionLabel(name, option), option.help])),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...columns(spec.exitCodes.map(([code, meaning]): [string, string] => [String(code), meaning])),
  ].join('\n');
}

function parserOptions(options: OptionSpecs): Record<string, { type: 'string' | 'boolean'; short?: string; default?: boolean }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; default?: boolean }> = {};
  for (const [name, { type, short }] of Object.entries(options)) {
    out[name] = { type, ...(short ? { short } : {}), ...(type === 'boolean' ? { default: false } : {}) };
  }
  return out;
}

/** The arguments as tokens, unknown options included (they are reported, not thrown). */
function tokensOf(spec: CommandSpec, args: readonly string[]) {
  return parseArgs({ args: [...args], options: parserOptions(spec.options), strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** Whether `-h` or `--help` is among a command's options (not the value of another option, not after `--`). */
export function wantsHelp(spec: CommandSpec, args: readonly string[]): boolean {
  for (const token of tokensOf(spec, args)) {
    if (token.kind === 'option-terminator') return false;
    if (token.kind === 'option' && (token.name === 'help' || token.name === 'h') && !Object.hasOwn(spec.options, token.name)) return true;
  }
  return false;
}

function listed(words: string[]): string {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function unknownOption(spec: CommandSpec, rawName: string, name: string): string {
  let message = `unknown option "${rawName}" for ${spec.name}`;
  if (!rawName.startsWith('--')) return message;
  const elsewhere = Object.values(COMMANDS as Record<string, CommandSpec>).filter((c) => Object.hasOwn(c.options, name)).map((c) => c.name);
  if (elsewhere.length) return `${message} (${listed(elsewhere)} ${elsewhere.length === 1 ? 'has' : 'have'} it)`;
  const guess = closest(name, Object.keys(spec.options));
  if (guess) message += `; did you mean "--${guess}"?`;
  return message;
}

/**
 * A command's options from its arguments. Throws a UsageError for an unknown option (with the
 * closest known one), a positional argument, a missing or superfluous value.
 */
export function parseCommand<O extends OptionSpecs>(spec: CommandSpec<O>, args: readonly string[]): OptionValues<O> {
  return parseCommandWithArgument(spec, args).values;
}

/** A command's options and its one argument (`approve ID`); a missing or second argument is a UsageError. */
export function parseCommandWithArgument<O extends OptionSpecs>(spec: CommandSpec<O>, args: readonly string[]): { values: OptionValues<O>; argument?: string } {
  const positionals: string[] = [];
  for (const token of tokensOf(spec, args)) {
    if (token.kind === 'option' && !Object.hasOwn(spec.options, token.name)) throw new UsageError(unknownOption(spec, token.rawName, token.name));
    if (token.kind === 'positional' && spec.argument) {
      positionals.push(token.value);
      if (positionals.length > 1) throw new UsageError(`${spec.name} takes one ${spec.argument.name}, got ${positionals.length}: ${positionals.join(' ')}`);
      continue;
    }
    if (token.kind === 'positional') {
      const guess = closest(token.value, Object.keys(spec.options));
      throw new UsageError(`${spec.name} takes no arguments, got "${token.value}"${guess ? `; did you mean "--${guess}"?` : ''}`);
    }
  }
  if (spec.argument && positionals.length === 0) throw new UsageError(`${spec.name} needs ${spec.argument.name}: ${spec.argument.help}`);
  try {
    const values = parseArgs({ args: [...args], options: parserOptions(spec.options), strict: true, allowPositionals: Boolean(spec.argument) }).values as OptionValues<O>;
    return { values, ...(positionals[0] !== undefined ? { argument: positionals[0] } : {}) };
  } catch (err) {
    if (isParseArgsError(err)) throw new UsageError((err as Error).message);
    throw err;
  }
}

export function isParseArgsError(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('ERR_PARSE_ARGS');
}

/** The message for a word that is not a command, with the closest command when there is one. */
export function unknownCommand(word: string): string {
  if (word.startsWith('-')) return `"${word}" is not a command: options come after the command, as in \`smoke-repair <command> ${word}\``;
  const guess = closest(word, Object.keys(COMMANDS));
  return `unknown command "${word}"${guess ? `; did you mean "${guess}"?` : ''}`;
}

/** The command `smoke-repair help [COMMAND]` is about, or undefined for the list of commands. */
export function helpTopic(args: readonly string[]): CommandSpec | undefined {
  const spec = COMMANDS.help;
  for (const token of tokensOf(spec, args)) {
    if (token.kind === 'option') throw new UsageError(unknownOption(spec, token.rawName, token.name));
  }
  const { positionals } = parseArgs({ args: [...args], options: {}, strict: false, allowPositionals: true });
  if (positionals.length > 1) throw new UsageError(`help takes one command, got ${positionals.length}: ${positionals.join(' ')}`);
  if (positionals.length === 0) return undefined;
  const topic = findCommand(positionals[0]);
  if (!topic) throw new UsageError(unknownCommand(positionals[0]), USAGE);
  return topic;
}
