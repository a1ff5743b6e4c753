// The benchmark runner of docs/contracts.md: runs every tests/bench/*.bench.ts, prints one table,
// writes bench/results.json. A bench module's default export returns its figures; it never
// passes or fails on time, it reports value and ratio against a bound or a peer from the same run.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { BenchModule, BenchResults } from '../tests/bench/types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'tests', 'bench');
const only = process.argv.slice(2);

const files = (await readdir(benchDir))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results: BenchResults = {};
let failed = 0;
for (const file of files) {
  process.stdout.write(`bench ${file} …\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(benchDir, file)).href)) as BenchModule;
    Object.assign(results, await mod.default());
  } catch (err) {
    failed++;
    console.error(`bench ${file} failed:`, err);
  }
}

const rows = Object.entries(results).map(([key, r]) => ({
  key,
  value: fmt(r.value),
  unit: r.unit,
  ratio: r.ratio === undefined ? '' : fmt(r.ratio),
  note: r.note ?? '',
}));
console.table(rows);
await mkdir(path.join(root, 'bench'), { recursive: true });
const file = path.join(root, 'bench', 'results.json');
// A run of some benches (`npm run bench -- remote`) updates their figures and keeps the others.
const kept = only.length > 0 ? await readFile(file, 'utf8').then((t) => JSON.parse(t) as BenchResults, () => ({})) : {};
await writeFile(file, JSON.stringify({ ...kept, ...results }, null, 2) + '\n');
console.log(`wrote bench/results.json (${rows.length} figures from ${files.length} benches)`);
if (failed > 0) process.exitCode = 1;

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}
