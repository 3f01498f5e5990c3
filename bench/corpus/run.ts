/**
 * Plants every fault kind at every site where it applies, over every field app, and measures what
 * the product makes of each: detected, located, planned, validated, applied, green, regressions,
 * files touched outside the plan, harmful patches, rollback byte for byte.
 *
 *   npm run bench:corpus -- [--app NAME]... [--kind KIND]... [--fault ID]... [--sample] [--json] [--jobs N]
 *                           [--no-docker] [--timeout SEC] [--out FILE] [--list] [--check] [--from FILE]
 *
 * Progress goes to stderr; the tables (or with --json the whole run) to stdout; the run is written
 * to bench/corpus/results/latest.json, and a full run (no --app, --kind or --sample) also to
 * results/summary.json and results/summary.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeEdit, KINDS, type FaultKind } from './faults';
import { failures, inexact, markdownReport, summarize, textReport } from './report';
import { checkFault, plannedFaults, runCorpus, type CorpusOptions, type CorpusRun } from './runner';

const HERE = import.meta.dirname;
const USAGE = `usage: npm run bench:corpus -- [--app NAME]... [--kind KIND]... [--fault ID]... [--sample] [--json] [--jobs N] [--no-docker] [--timeout SEC] [--out FILE] [--list] [--check] [--from FILE]
  --app NAME     only this field app (repeat, or a comma list)
  --kind KIND    only this kind (repeat, or a comma list): ${KINDS.join(', ')}
  --fault ID     only faults whose id contains ID (see --list)
  --sample       one site per kind per app
  --json         print the whole run as JSON instead of the tables
  --jobs N       faults run at once as processes (default 2); Docker faults run one at a time
  --no-docker    report the kinds that need Docker as not observable instead of running them
  --timeout SEC  per-fault time limit (default 300)
  --out FILE     where the run is written (default bench/corpus/results/latest.json)
  --list         list the faults and their exact edits; run nothing
  --check        plant every fault in a copy and check the edits apply and the files parse; run nothing
  --from FILE    show a saved run (a results JSON) again; run nothing`;

type CliOptions = CorpusOptions & { json: boolean; out: string; list: boolean; check: boolean; from?: string };

function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { apps: [], kinds: [], json: false, out: path.join(HERE, 'results', 'latest.json'), list: false, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--app':
        o.apps!.push(...value().split(','));
        break;
      case '--kind': {
        for (const k of value().split(',')) {
          if (!(KINDS as readonly string[]).includes(k)) throw new Error(`unknown kind "${k}"\n${USAGE}`);
          o.kinds!.push(k as FaultKind);
        }
        break;
      }
      case '--fault':
        (o.faults ??= []).push(value());
        break;
      case '--sample':
        o.sample = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--jobs':
        o.jobs = Math.max(1, Number(value()));
        break;
      case '--no-docker':
        o.docker = false;
        break;
      case '--timeout':
        o.timeoutMs = Number(value()) * 1000;
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--list':
        o.list = true;
        break;
      case '--check':
        o.check = true;
        break;
      case '--from':
        o.from = path.resolve(value());
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option "${a}"\n${USAGE}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (opts.check) {
    const faults = plannedFaults(opts);
    let bad = 0;
    for (const f of faults) {
      const problems = await checkFault(f);
      if (problems.length) {
        bad++;
        console.log(`${f.id}: ${problems.join('; ')}`);
      }
    }
    console.log(`${faults.length - bad}/${faults.length} faults plant cleanly (edits apply, changed files parse)`);
    process.exit(bad ? 1 : 0);
  }
  if (opts.list) {
    for (const f of plannedFaults(opts)) {
      console.log(`${f.id}${f.runtime === 'docker' ? ' [docker]' : ''}${f.ruleFixable ? '' : ' [not rule-fixable]'}\n  ${f.summary}\n${f.edits.map((e) => `  ${e.file}:${e.line}\n${describeEdit(e).replace(/^/gm, '    ')}`).join('\n')}`);
    }
    return;
  }
  let command: string;
  let run: CorpusRun;
  let full: boolean;
  if (opts.from) {
    // A saved run, shown again (and its summary written again when it was a full run).
    const saved = JSON.parse(readFileSync(opts.from, 'utf8')) as CorpusRun & { command: string };
    ({ command, ...run } = saved);
    const o = saved.options;
    full = !o.apps?.length && !o.kinds?.length && !o.faults?.length && !o.sample;
  } else {
    command = `npm run bench:corpus${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    run = await runCorpus({ ...opts, progress: (l) => process.stderr.write(`${l}\n`) });
    full = !opts.apps?.length && !opts.kinds?.length && !opts.faults?.length && !opts.sample;
    mkdirSync(path.dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify({ command, ...run, summary: summarize(run) }, null, 2) + '\n');
  }
  if (full) {
    const dir = path.join(HERE, 'results');
    writeFileSync(
      path.join(dir, 'summary.md'),
      `${markdownReport(run, command)}\n\n## Detected and not fixed, and anything unsafe\n\n\`\`\`\n${failures(run, 400).join('\n')}\n\`\`\`\n\n## Fixed, but not as the app was written\n\n\`\`\`\n${inexact(run).join('\n')}\n\`\`\`\n`,
    );
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ command, machine: run.machine, startedAt: run.startedAt, durationMs: run.durationMs, baselines: run.baselines, summary: summarize(run) }, null, 2) + '\n');
  }
  if (opts.json) console.log(JSON.stringify({ command, ...run, summary: summarize(run) }, null, 2));
  else {
    console.log(textReport(run));
    const f = failures(run);
    if (f.length) console.log(`\nDetected and not fixed, and anything unsafe (${f.length}):\n${f.join('\n')}`);
    const x = inexact(run);
    if (x.length) console.log(`\nFixed, but not as the app was written (${x.length}):\n${x.join('\n')}`);
    console.log(`\nresults: ${path.relative(process.cwd(), opts.from ?? opts.out)}`);
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
