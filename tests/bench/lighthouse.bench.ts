// Lighthouse 12 on the production build's Remote, mobile profile (simulated throttling): the
// three category scores and the largest contentful paint, each the median of three cold loads.
// The same audit is a pass/fail gate in tests/e2e/lighthouse.spec.ts.
import { build, preview } from 'vite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditOnce, BAR, type RemoteAudit } from '../lighthouse/remote-audit.ts';
import type { BenchResults } from './types.ts';

const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export default async function (): Promise<BenchResults> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'nyala-bench-lighthouse-'));
  try {
    await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const server = await preview({ configFile: false, logLevel: 'silent', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    try {
      const addr = server.httpServer.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const runs: RemoteAudit[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await auditOnce(`http://127.0.0.1:${port}/#/remote`));
      const m = (f: (a: RemoteAudit) => number) => median(runs.map(f));
      const note = (bar: string) => `median of ${RUNS} cold loads, mobile, simulated throttling; bar ${bar}`;
      return {
        'lighthouse.remote.performance': { value: m((a) => a.performance), unit: 'score', ratio: m((a) => a.performance) / BAR.performance, note: note(`≥ ${BAR.performance}`) },
        'lighthouse.remote.accessibility': { value: m((a) => a.accessibility), unit: 'score', ratio: m((a) => a.accessibility) / BAR.accessibility, note: note(`= ${BAR.accessibility}`) },
        'lighthouse.remote.best-practices': { value: m((a) => a.bestPractices), unit: 'score', ratio: m((a) => a.bestPractices) / BAR.bestPractices, note: note(`≥ ${BAR.bestPractices}`) },
        'remote.lcp': { value: m((a) => a.lcpMs), unit: 'ms', note: `Lighthouse's simulated largest contentful paint, ${note('none').replace(/; bar none$/, '')}` },
      };
    } finally {
      (server.httpServer as { closeAllConnections?: () => void }).closeAllConnections?.();
      await server.close();
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
