/**
 * Rebuilds the bundled popularity lists from two registry snapshot tables (tab-separated, with a
 * header line). See README.md for the format.
 *
 *   npx tsx server/src/engine/deps/data/build-lists.ts <pypi.tsv> <npm.tsv>
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYPI_LIMIT = 15_000;
const NPM_LIMIT = 20_000;
const here = path.dirname(fileURLToPath(import.meta.url));

function rows(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  return { header: lines[0].split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

function column(header: string[], name: string, file: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${file}: no column "${name}" in the header (${header.join(', ')})`);
  return i;
}

function writeAtomic(file: string, names: string[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, names.join('\n') + '\n');
  renameSync(tmp, file);
}

function main(pypiTable: string, npmTable: string): void {
  const py = rows(pypiTable);
  const pyName = column(py.header, 'name', pypiTable);
  const pyRank = column(py.header, 'rank_among_15000_most_downloaded', pypiTable);
  const pypi = py.rows
    .filter((r) => /^\d+$/.test(r[pyRank] ?? ''))
    .map((r) => ({ name: r[pyName], rank: Number(r[pyRank]) }))
    .sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : 1))
    .slice(0, PYPI_LIMIT)
    .map((r) => r.name);

  const npm = rows(npmTable);
  const npmName = column(npm.header, 'name', npmTable);
  const npmDownloads = column(npm.header, 'downloads_a_month', npmTable);
  const npmNames = npm.rows
    .filter((r) => /^\d+$/.test(r[npmDownloads] ?? ''))
    .map((r) => ({ name: r[npmName], downloads: Number(r[npmDownloads]) }))
    .sort((a, b) => b.downloads - a.downloads || (a.name < b.name ? -1 : 1))
    .slice(0, NPM_LIMIT)
    .map((r) => r.name);

  writeAtomic(path.join(here, 'pypi-top.txt'), pypi);
  writeAtomic(path.join(here, 'npm-top.txt'), npmNames);
  process.stdout.write(`pypi-top.txt: ${pypi.length} names; npm-top.txt: ${npmNames.length} names\n`);
}

const [pypiTable, npmTable] = process.argv.slice(2);
if (!pypiTable || !npmTable) {
  process.stderr.write('usage: build-lists.ts <pypi.tsv> <npm.tsv>\n');
  process.exit(2);
}
main(pypiTable, npmTable);
