/**
 * A second writer for the embedded pattern store's tests: records N attempts into the store file
 * given, one after another, as another process (the editor beside the command line) would.
 *
 *   node --import tsx test/setup/patternWriter.ts FILE N TAG
 */
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';

async function main(): Promise<void> {
  const [file, count, tag] = process.argv.slice(2);
  const store = await EmbeddedPatternStore.open(file!);
  for (let i = 0; i < Number(count); i++) {
    await store.record({
      signature: { exceptionClass: 'NameError', messageShape: "name '{}' is not defined", endpoint: `GET /${tag}/{}`, status: 500, failureType: 'RUNTIME' },
      edit: { op: 'add_import', name: '{0}', writer: tag },
      fixType: 'add_import',
      planner: 'rules',
      source: 'tool',
      outcome: 'success',
    });
    if (i === 0) process.stdout.write('started\n');
  }
  process.stdout.write('done\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
