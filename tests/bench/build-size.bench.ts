// Placeholder-free: the foundation's own figure, the gzip size of the whole app shell's JS as built.
// The remote issue replaces this with remote.js.gzip against an mqtt+lit page.
import { build } from 'vite';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BenchResults } from './types.ts';

export default async function (): Promise<BenchResults> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'nyala-bench-build-'));
  try {
    await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const assets = path.join(outDir, 'assets');
    let total = 0;
    for (const f of await readdir(assets)) {
      if (f.endsWith('.js')) total += gzipSync(await readFile(path.join(assets, f)), { level: 9 }).length;
    }
    return { 'app.js.gzip.all': { value: total / 1024, unit: 'KB', note: 'every JS chunk of the build, gzip -9' } };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
