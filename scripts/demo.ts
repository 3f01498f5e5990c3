/**
 * The demo: the whole loop on a private copy of the bundled FastAPI example, so the example itself
 * never changes. Smoke → plan → policy → patch → sandbox validation → apply → reload → smoke,
 * iteration after iteration (`repair --loop`) until the rules reach no further, then the table of
 * iterations and what is left for a person.
 *
 *   node --import tsx scripts/demo.ts [--keep]      (npm run demo)
 *
 * --keep leaves the copy and its container running and prints where they are.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ensureExampleUp } from '../test/setup/docker';
import { copyExample } from '../test/setup/exampleCopy';
import { freePort } from '../test/setup/net';

const CLI = path.join(__dirname, '..', 'bin', 'smoke-repair.js');

function step(title: string): void {
  process.stderr.write(`\n==> ${title}\n`);
}

function cli(args: string[]): number {
  process.stderr.write(`$ smoke-repair ${args.join(' ')}\n`);
  return spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit' }).status ?? 2;
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  step('building and starting examples/shop-api in Docker');
  await ensureExampleUp('shop-api');
  const port = await freePort();
  const copy = await copyExample('shop-api', port);
  try {
    process.stderr.write(`a copy of examples/shop-api runs at ${copy.baseUrl} from ${copy.dir}\n`);
    step('smoke: which scenarios fail, and where');
    if (cli(['smoke', '--workspace', copy.dir, '--quiet']) > 1) return 2;
    step('repair --loop: plan, check, patch, validate in a sandbox, apply the safe fixes, reload, smoke again; until no pass gains');
    const code = cli(['repair', '--loop', '--workspace', copy.dir, '--quiet']);
    if (code > 1) return 2;
    step('what changed in the copy');
    const original = path.join(__dirname, '..', 'examples', 'shop-api');
    for (const part of ['requirements.txt', 'app']) {
      spawnSync('git', ['--no-pager', 'diff', '--no-index', '--no-color', path.join(original, part), path.join(copy.dir, part)], { stdio: 'inherit' });
    }
    if (keep) {
      process.stderr.write(`\nThe copy keeps running (--keep) at ${copy.baseUrl}; records of each repair: ${path.join(copy.dir, '.smoke-repair')} (\`npx smoke-repair history --workspace ${copy.dir}\`)\n`);
      process.stderr.write(`Undo the last fix with \`npx smoke-repair rollback --workspace ${copy.dir}\`.\n`);
    }
    return 0;
  } finally {
    if (!keep) copy.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  },
);
