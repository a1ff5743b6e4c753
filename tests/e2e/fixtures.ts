// A test serves a production build with `vite preview` on a free port and stops it after, so the
// service worker under test is the real one.
import { test as base, expect } from '@playwright/test';
import { createServer } from 'node:net';
import { preview, type PreviewServer } from 'vite';
import { outPath, root, type BuildSpec } from './builds.ts';

export interface Served {
  /** http://127.0.0.1:<port><base> */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Serve a build; `port` reuses an origin (the update test serves a new version on the same one). */
export async function serve(build: BuildSpec, port?: number): Promise<Served> {
  const p = port ?? (await freePort());
  const server: PreviewServer = await preview({
    root,
    configFile: false,
    base: build.base,
    logLevel: 'silent',
    build: { outDir: outPath(build) },
    preview: { host: '127.0.0.1', port: p, strictPort: true },
  });
  let stopped = false;
  return {
    url: `http://127.0.0.1:${p}${build.base}`,
    port: p,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Chromium keeps connections alive; drop them so "stopped" means nothing answers any more.
      const http = server.httpServer as { closeAllConnections?: () => void };
      http.closeAllConnections?.();
      await server.close();
    },
  };
}

interface Fixtures {
  /** stops every server a test started, even when it fails */
  servers: { serve: typeof serve };
}

export const test = base.extend<Fixtures>({
  // Playwright reads the fixtures a fixture needs from its first parameter, which must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  servers: async ({}, use) => {
    const started: Served[] = [];
    await use({
      serve: async (b, port) => {
        const s = await serve(b, port);
        started.push(s);
        return s;
      },
    });
    for (const s of started) await s.stop();
  },
});

export { expect };
