// remote.js.gzip: what a phone opening the remote downloads in its first five seconds. The app is
// built as it ships, served from this machine, and opened in Chromium through a pairing link (what
// the phone's camera opens from the QR code) for a signed lamp on a running broker; every
// JavaScript file fetched in the five seconds after navigation, by the page or by its service
// worker's precache, is counted once at its gzip -9 size (lazy chunks such as workbox-window
// included, as the phone downloads them).
//
// Two peers, each a page of only mqtt + lit (one element that connects), built and opened the
// same way:
// - remote.js.gzip: `import mqtt from 'mqtt'` as anyone would write it, so the bundler takes
//   MQTT.js's stock browser bundle (dist/mqtt.esm.js, its own esbuild build with Node polyfills);
// - remote.js.gzip.slim-peer: the same page with the app's own MQTT.js build
//   (scripts/mqtt-browser.ts: MQTT.js's CommonJS without its Node-only parts), so the ratio is
//   what our own code costs beyond the same libraries.
// Measurement only: it decides nothing about how the app is split.
//
// (It replaces the older remote.js.gzip that counted only the entry and its static imports.)
import { build, type Plugin } from 'vite';
import { chromium } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pairingHash } from '../../src/lamp/pairing.ts';
import { defaultSettings } from '../../src/lamp/settings.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { mqttBrowser } from '../../scripts/mqtt-browser.ts';
import type { BenchResults } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WINDOW_MS = 5000;
const PEER_ID = 'virtual:nyala-bench-peer-page';

export default async function (): Promise<BenchResults> {
  const broker = new TestBroker();
  await broker.start();
  const app = await mkdtemp(path.join(tmpdir(), 'nyala-bench-app-'));
  const peer = await mkdtemp(path.join(tmpdir(), 'nyala-bench-peer-'));
  const slimPeer = await mkdtemp(path.join(tmpdir(), 'nyala-bench-slim-peer-'));
  try {
    await build({ root, logLevel: 'silent', build: { outDir: app, emptyOutDir: true } });
    const peerBuild = (outDir: string, plugins: Plugin[]) =>
      build({
        root,
        configFile: false,
        logLevel: 'silent',
        plugins: [peerPage(plugins.length > 0), ...plugins],
        build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: PEER_ID } },
      });
    await peerBuild(peer, []);
    const bareEntry = peerEntry;
    await peerBuild(slimPeer, [mqttBrowser()]);
    const slimEntry = peerEntry;
    const settings = defaultSettings({ chip: 'esp8266', name: 'Teras', preset: 'custom' });
    settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
    const ours = await pageJs(app, `/${pairingHash(settings, { includeCredentials: false })}`);
    const bare = await pageJs(peer, `/peer.html?${broker.wsUrl}`, peerHtml(bareEntry));
    const slim = await pageJs(slimPeer, `/peer.html?${broker.wsUrl}`, peerHtml(slimEntry));
    return {
      'remote.js.gzip': {
        value: ours.bytes / 1024,
        unit: 'KB',
        ratio: ours.bytes / bare.bytes,
        note: `JS a phone fetches in its first ${WINDOW_MS / 1000} s opening the remote from a pairing link, service worker precache included (${ours.files} files, gzip -9; the page alone ${(ours.pageBytes / 1024).toFixed(1)} KB) ÷ an mqtt+lit page (${(bare.bytes / 1024).toFixed(1)} KB, MQTT.js's stock dist/mqtt.esm.js); goal ≤ 1.15`,
      },
      'remote.js.gzip.slim-peer': {
        value: ours.bytes / 1024,
        unit: 'KB',
        ratio: ours.bytes / slim.bytes,
        note: `the same ÷ an mqtt+lit page with the app's own MQTT.js build (scripts/mqtt-browser.ts, ${(slim.bytes / 1024).toFixed(1)} KB): what our code costs beyond the same libraries`,
      },
    };
  } finally {
    await rm(app, { recursive: true, force: true });
    await rm(peer, { recursive: true, force: true });
    await rm(slimPeer, { recursive: true, force: true });
    await broker.stop();
  }
}

/** Serves `dir`, opens `url` in Chromium, and sums the gzip -9 size of the JS fetched in time. */
async function pageJs(dir: string, url: string, extra?: { path: string; html: string }): Promise<{ bytes: number; files: number; pageBytes: number }> {
  const server = await serve(dir, extra);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const fetched = new Set<string>();
    const byPage = new Set<string>();
    const started = Date.now();
    // On the context, not the page: the service worker's precache downloads count too (Chromium
    // reports a worker's requests on the context), as they cost the phone the same bytes.
    context.on('response', (r) => {
      const u = new URL(r.url());
      if (Date.now() - started > WINDOW_MS || u.port !== String(port) || !u.pathname.endsWith('.js')) return;
      fetched.add(u.pathname);
      if (!r.request().serviceWorker()) byPage.add(u.pathname);
    });
    await page.goto(`http://127.0.0.1:${port}${url}`);
    await page.waitForTimeout(Math.max(0, WINDOW_MS - (Date.now() - started)));
    const size = async (files: Set<string>): Promise<number> => {
      let n = 0;
      for (const p of files) n += gzipSync(await readFile(path.join(dir, decodeURIComponent(p))), { level: 9 }).length;
      return n;
    };
    return { bytes: await size(fetched), files: fetched.size, pageBytes: await size(byPage) };
  } finally {
    await browser.close();
    await new Promise((r) => server.close(r));
  }
}

function serve(dir: string, extra?: { path: string; html: string }): Promise<Server> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.css': 'text/css', '.json': 'application/json', '.webmanifest': 'application/manifest+json', '.svg': 'image/svg+xml', '.png': 'image/png' };
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (extra && pathname === extra.path) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(extra.html);
      return;
    }
    const file = path.join(dir, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The last peer build's entry chunk, as its bundle named it. */
let peerEntry = '';

/** The peer page's HTML: the built entry chunk as a module script. */
function peerHtml(entry: string): { path: string; html: string } {
  return { path: '/peer.html', html: `<!doctype html><meta charset="utf-8"><peer-remote></peer-remote><script type="module" src="/${entry}"></script>` };
}

/**
 * A page of only mqtt and lit: one element that connects, so neither can be shaken away. With the
 * slim build it connects as the app does, with options (that build has no url.parse).
 */
function peerPage(slim: boolean): Plugin {
  const connect = slim
    ? `(() => { const u = new URL(location.search.slice(1)); return mqtt.connect({ protocol: u.protocol.slice(0, -1), hostname: u.hostname, port: Number(u.port), path: u.pathname }); })()`
    : 'mqtt.connect(location.search.slice(1))';
  return {
    name: 'nyala-bench-peer-page',
    resolveId: (id) => (id === PEER_ID ? `\0${PEER_ID}` : null),
    load: (id) =>
      id === `\0${PEER_ID}`
        ? `import mqtt from 'mqtt';
           import { LitElement, html } from 'lit';
           class PeerRemote extends LitElement {
             static properties = { state: {} };
             connectedCallback() { super.connectedCallback(); this.client = ${connect}; this.client.on('message', (_t, p) => { this.state = String(p); }); }
             render() { return html\`<button @click=\${() => this.client.publish('t', 'on', { qos: 1 })}>\${this.state}</button>\`; }
           }
           customElements.define('peer-remote', PeerRemote);`
        : null,
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) if (chunk.type === 'chunk' && chunk.isEntry) peerEntry = chunk.fileName;
    },
  };
}
