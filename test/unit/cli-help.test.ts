import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { COMMANDS, commandHelp, parseCommand, unknownCommand, UsageError, wantsHelp, wrap, type CommandSpec } from '../../server/src/cliArgs';
import { tempDir } from '../setup/tempDirs';

/**
 * The command line's help and argument errors, through the real bin/smoke-repair.js, and how that
 * launcher chooses between the bundle and the TypeScript sources.
 */

const ROOT = path.join(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'smoke-repair.js');

type Choice = 'bundle' | 'source' | 'outdated-bundle' | undefined;
const launcher = createRequire(import.meta.url)(BIN) as {
  chooseEntry(facts: { bundleMtimeMs?: number; newestInputMtimeMs?: number; hasSource: boolean; hasTsx: boolean }): Choice;
  newestMtimeMs(dir: string, enough?: number): number;
  resolveEntry(root: string): { choice: Choice };
};

function run(args: string[], opts: { bin?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    input: '',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const specs = Object.values(COMMANDS) as CommandSpec[];

describe('smoke-repair <command> --help', () => {
  for (const spec of specs) {
    test(`${spec.name} --help prints its usage, every option, examples and exit codes`, () => {
      const r = run([spec.name, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.startsWith(`Usage: smoke-repair ${spec.usage}\n`), r.stdout);
      for (const [name, option] of Object.entries(spec.options)) {
        // In the option list, not the usage line (whose words can hold the help's first word: promeTHEus).
        const line = r.stdout.split('\nOptions:\n')[1]?.split('\n').find((l) => l.includes(`--${name}`) && l.includes(option.help.split(' ')[0]));
        assert.ok(line, `--${name} has a line:\n${r.stdout}`);
        if (option.short) assert.ok(line.includes(`-${option.short}, --${name}`), line);
        if (option.arg) assert.ok(line.includes(`--${name} ${option.arg}`), line);
      }
      assert.match(r.stdout, /^ {2}-h, --help +show this help$/m);
      assert.match(r.stdout, /\nExamples:\n {2}smoke-repair /);
      for (const [code] of spec.exitCodes) assert.match(r.stdout, new RegExp(`\\nExit codes:\\n[^]*^ {2}${code} {2}\\S`, 'm'));
      for (const line of r.stdout.split('\n').slice(1)) assert.ok(line.length <= 100, `wrapped: ${line}`);
    });
  }

  test('-h and `help <command>` print the same help; help comes before running anything', () => {
    const long = run(['repair', '--help']).stdout;
    const short = run(['repair', '-h']);
    assert.equal(short.code, 0);
    assert.equal(short.stdout, long);
    const viaHelp = run(['help', 'repair']);
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout, long);
    // Without --help this would fail for want of smoke-repair.yaml (exit 2).
    const before = run(['repair', '--once', '--bogus', '--help'], { cwd: tempDir('cli-help-') });
    assert.equal(before.code, 0, before.stderr);
    assert.equal(before.stdout, long);
  });

  test('the global help lists every command and says where each one is explained', () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const r = run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith('Usage: smoke-repair <command> [options]\n'));
      for (const spec of specs) assert.match(r.stdout, new RegExp(`^ {2}${spec.name} +${spec.summary.slice(0, 20).replace(/[()]/g, '\\$&')}`, 'm'));
      assert.match(r.stdout, /smoke-repair <command> --help/);
    }
  });
});

describe('smoke-repair argument errors', () => {
  test('a misspelt option: exit 2, the closest option and the command usage', () => {
    const r = run(['smoke', '--worksapce', '.']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^smoke-repair: unknown option "--worksapce" for smoke; did you mean "--workspace"\?\n/);
    assert.match(r.stderr, /\nUsage: smoke-repair smoke \[--workspace DIR\]/);
    assert.match(r.stderr, /Run `smoke-repair smoke --help` for its options/);
    const dry = run(['repair', '--once', '--dryrun']);
    assert.equal(dry.code, 2);
    assert.match(dry.stderr, /unknown option "--dryrun" for repair; did you mean "--dry-run"\?/);
  });

  test('an option of another command says which commands have it; one unlike any has no suggestion', () => {
    const r = run(['classify', '--config', 'x.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option "--config" for classify \(smoke, plan, repair, approve, patterns, report and rollback have it\)/);
    const far = run(['classify', '--frobnicate']);
    assert.equal(far.code, 2);
    assert.match(far.stderr, /unknown option "--frobnicate" for classify\n/);
    assert.match(far.stderr, /Usage: smoke-repair classify/);
  });

  test('a misspelt command: exit 2, the closest command and the list of commands', () => {
    for (const args of [['smoek'], ['help', 'rollbak']]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      const word = args[args.length - 1];
      const meant = word === 'smoek' ? 'smoke' : 'rollback';
      assert.match(r.stderr, new RegExp(`^smoke-repair: unknown command "${word}"; did you mean "${meant}"\\?\\n`));
      assert.match(r.stderr, /Usage: smoke-repair <command> \[options\]/);
    }
    const none = run(['frobnicate']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^smoke-repair: unknown command "frobnicate"\n/);
    const empty = run([]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no command given/);
  });
});

describe('parseCommand', () => {
  test('values with defaults, short options, and each kind of usage error', () => {
    assert.deepEqual(
      { ...parseCommand(COMMANDS.repair, ['--once', '-w', 'ws', '--violation=add-item', '-q']) },
      { once: true, loop: false, workspace: 'ws', violation: 'add-item', quiet: true, 'dry-run': false, json: false },
    );
    const usage = (args: string[], pattern: RegExp) =>
      assert.throws(
        () => parseCommand(COMMANDS.smoke, args),
        (err: unknown) => err instanceof UsageError && pattern.test(err.message),
      );
    usage(['--JSON'], /unknown option "--JSON" for smoke; did you mean "--json"\?/);
    usage(['-x'], /^unknown option "-x" for smoke$/);
    usage(['json'], /smoke takes no arguments, got "json"; did you mean "--json"\?/);
    usage(['--workspace'], /--workspace <value>' argument missing/);
    usage(['--quiet=yes'], /does not take an argument/);
    usage(['--', '--json'], /takes no arguments, got "--json"/);
  });

  test('wantsHelp: -h or --help among the options, not as a value and not after --', () => {
    assert.equal(wantsHelp(COMMANDS.plan, ['--json', '--help']), true);
    assert.equal(wantsHelp(COMMANDS.plan, ['-qh']), true);
    assert.equal(wantsHelp(COMMANDS.plan, ['--violation=--help']), false);
    assert.equal(wantsHelp(COMMANDS.plan, ['--', '--help']), false);
    assert.equal(wantsHelp(COMMANDS.plan, ['--json']), false);
  });

  test('every option is in its command synopsis; examples use only known options', () => {
    for (const spec of specs) {
      for (const name of Object.keys(spec.options)) assert.ok(spec.usage.includes(`--${name}`), `${spec.name}: --${name} in "${spec.usage}"`);
      for (const example of spec.examples) {
        const words = example.split(/\s+/);
        const at = words.indexOf(spec.name);
        if (at < 0) continue; // `smoke-repair --version`, `smoke-repair repair --help` under help
        for (const word of words.slice(at + 1)) {
          if (/^--?[a-z]/.test(word) && word !== '--help') assert.ok(Object.hasOwn(spec.options, word.replace(/^--/, '')), `${example}: ${word}`);
        }
      }
    }
    assert.match(commandHelp(COMMANDS.version), /^Usage: smoke-repair version\n/);
  });

  test("the README's command-line block shows each command's synopsis and a real error message", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const spec of specs.filter((s) => s.name !== 'help' && s.name !== 'version')) {
      assert.ok(readme.includes(`\nnpx smoke-repair ${spec.usage}\n`), `README shows: npx smoke-repair ${spec.usage}`);
    }
    const quoted = /`(unknown option "--dryrun" for repair; [^`]*)`/.exec(readme.replace(/\s*\n\s*/g, ' '));
    assert.ok(quoted, 'README quotes the misspelt-option message');
    assert.throws(() => parseCommand(COMMANDS.repair, ['--dryrun']), { message: quoted[1] });
  });

  test('unknownCommand and wrap', () => {
    assert.equal(unknownCommand('plna'), 'unknown command "plna"; did you mean "plan"?');
    assert.match(unknownCommand('--json'), /options come after the command/);
    assert.deepEqual(wrap('aa bb cc dd', 5), ['aa bb', 'cc dd']);
    assert.deepEqual(wrap('a verylongword b', 4), ['a', 'verylongword', 'b']);
  });
});

describe('bin/smoke-repair.js: bundle or sources', () => {
  test('chooseEntry: the bundle when at least as new as its inputs or without sources, else tsx, else the older bundle', () => {
    const choose = launcher.chooseEntry;
    assert.equal(choose({ bundleMtimeMs: 20, newestInputMtimeMs: 10, hasSource: true, hasTsx: true }), 'bundle');
    assert.equal(choose({ bundleMtimeMs: 20, newestInputMtimeMs: 20, hasSource: true, hasTsx: true }), 'bundle');
    assert.equal(choose({ bundleMtimeMs: 20, newestInputMtimeMs: 21, hasSource: true, hasTsx: true }), 'source');
    assert.equal(choose({ bundleMtimeMs: 20, newestInputMtimeMs: 21, hasSource: true, hasTsx: false }), 'outdated-bundle');
    assert.equal(choose({ bundleMtimeMs: 20, hasSource: false, hasTsx: false }), 'bundle');
    assert.equal(choose({ hasSource: true, hasTsx: true }), 'source');
    assert.equal(choose({ hasSource: true, hasTsx: false }), undefined);
    assert.equal(choose({ hasSource: false, hasTsx: true }), undefined);
  });

  test('newestMtimeMs sees nested files and deletions, and stops early once past the bar', () => {
    const dir = tempDir('cli-mtime-');
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'b', 'deep.ts'), '');
    writeFileSync(path.join(dir, 'gone.ts'), '');
    const at = (file: string, seconds: number) => utimesSync(path.join(dir, file), seconds, seconds);
    for (const [file, s] of [['a/b/deep.ts', 1000], ['gone.ts', 1000], ['a/b', 1000], ['a', 1000], ['.', 1000]] as const) at(file, s);
    assert.equal(launcher.newestMtimeMs(dir), 1000_000);
    at('a/b/deep.ts', 5000);
    assert.equal(launcher.newestMtimeMs(dir), 5000_000);
    at('gone.ts', 3000);
    assert.equal(launcher.newestMtimeMs(dir), 5000_000);
    // gone.ts is past the bar before the walk goes down into a/.
    assert.equal(launcher.newestMtimeMs(dir, 2000_000), 3000_000);
    at('a/b/deep.ts', 1000);
    unlinkSync(path.join(dir, 'gone.ts'));
    assert.ok(launcher.newestMtimeMs(dir) > 1000_000, 'the folder of a deleted file is newer');
  });

  test('the real launcher runs the bundle while it is current, the sources once they change, and says when it cannot', () => {
    const root = tempDir('cli-launch-');
    mkdirSync(path.join(root, 'bin'));
    mkdirSync(path.join(root, 'dist'));
    mkdirSync(path.join(root, 'server', 'src'), { recursive: true });
    const bin = path.join(root, 'bin', 'smoke-repair.js');
    copyFileSync(BIN, bin);
    const bundle = path.join(root, 'dist', 'cli.js');
    const source = path.join(root, 'server', 'src', 'cli.ts');
    writeFileSync(bundle, "exports.main = async (argv) => { process.stdout.write('bundle ' + argv.join(' ')); return 0; };\n");
    writeFileSync(source, "export async function main(argv: string[]): Promise<number> {\n  process.stdout.write(`source ${argv.join(' ')}`);\n  return 3;\n}\n");
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    // Later than anything on disk, including node_modules/.package-lock.json.
    let lock = 0;
    try {
      lock = statSync(path.join(ROOT, 'node_modules', '.package-lock.json')).mtimeMs;
    } catch {
      /* not installed that way */
    }
    const t0 = Math.max(Date.now(), lock) / 1000 + 60;
    for (const p of [source, path.join(root, 'server', 'src'), path.join(root, 'server')]) utimesSync(p, t0, t0);
    utimesSync(bundle, t0 + 10, t0 + 10);

    assert.equal(launcher.resolveEntry(root).choice, 'bundle');
    let r = run(['smoke', '--json'], { bin });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'bundle smoke --json', '']);

    utimesSync(source, t0 + 20, t0 + 20);
    assert.equal(launcher.resolveEntry(root).choice, 'source');
    r = run(['help'], { bin });
    assert.deepEqual([r.code, r.stdout], [3, 'source help'], r.stderr);

    unlinkSync(path.join(root, 'node_modules'));
    r = run(['help'], { bin });
    assert.deepEqual([r.code, r.stdout], [0, 'bundle help']);
    assert.match(r.stderr, /cli\.js is older than the sources and tsx is not installed/);

    rmSync(bundle);
    r = run(['help'], { bin });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /there is neither dist\/cli\.js nor tsx to run server\/src\/cli\.ts/);
  });
});
