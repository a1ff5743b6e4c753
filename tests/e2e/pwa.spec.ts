import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { builds, outPath, type BuildSpec } from './builds.ts';
import { expect, test } from './fixtures.ts';

const heading = (page: Page) => page.locator('main > *').locator('h1');

/** Wait until the service worker is active and has precached the shell. */
async function swReady(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    if (!reg.active) throw new Error('no active service worker');
  });
}

interface ManifestIcon {
  src: string;
  sizes: string;
  type?: string;
  purpose?: string;
}

function pngSize(buf: Buffer): { width: number; height: number } {
  // PNG signature, then the IHDR chunk: width and height are the first two big-endian words.
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(buf.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

async function checkManifest(b: BuildSpec): Promise<void> {
  const dir = outPath(b);
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  expect(html).toContain(`href="${b.base}manifest.webmanifest"`);
  const m = JSON.parse(await readFile(path.join(dir, 'manifest.webmanifest'), 'utf8')) as Record<string, unknown>;
  for (const field of ['name', 'short_name', 'description', 'theme_color', 'background_color', 'display', 'start_url', 'scope', 'icons']) {
    expect(m[field], field).toBeTruthy();
  }
  expect(m.scope).toBe(b.base);
  expect(String(m.start_url).startsWith(b.base)).toBe(true);
  expect(m.start_url).toBe(`${b.base}#/remote`);
  const icons = m.icons as ManifestIcon[];
  const wanted = new Set(['192x192', '512x512']);
  for (const icon of icons) {
    // Icon paths are relative to the manifest, which sits at the base.
    const file = path.join(dir, icon.src.replace(/^\//, '').replace(b.base.replace(/^\//, ''), ''));
    expect((await stat(file)).size, icon.src).toBeGreaterThan(100);
    const { width, height } = pngSize(await readFile(file));
    expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
    if (icon.purpose !== 'maskable') wanted.delete(icon.sizes);
  }
  expect([...wanted], 'plain icons of 192 and 512 px').toEqual([]);
  expect(icons.filter((i) => i.purpose === 'maskable')).toHaveLength(1);
  expect(icons.filter((i) => i.purpose?.includes('any') && i.purpose.includes('maskable'))).toHaveLength(0);
}

test('the built manifest is valid at the root and under a sub-path', async () => {
  await checkManifest(builds.main);
  await checkManifest(builds.sub);
});

test('the service worker precaches the shell once each, and no firmware image', async () => {
  const sw = await readFile(path.join(outPath(builds.main), 'sw.js'), 'utf8');
  const urls = [...sw.matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1]);
  expect(urls).toContain('index.html');
  expect(urls.some((u) => u?.startsWith('assets/') && u.endsWith('.js'))).toBe(true);
  // A URL listed twice makes Workbox refuse to install: the app would never work offline.
  expect(urls.length).toBe(new Set(urls).size);
  expect(urls.filter((u) => u?.endsWith('.bin') || u?.startsWith('firmware/'))).toEqual([]);
});

test('a phone precaches the Remote only: the installer views and esptool-js chunks are left to first use', async () => {
  const dir = outPath(builds.main);
  const sw = await readFile(path.join(dir, 'sw.js'), 'utf8');
  const precached = new Set([...sw.matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1]));
  const assets = (await readdir(path.join(dir, 'assets'))).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  const installer = assets.filter((f) => /\/(install-view|console-view)-/.test(f));
  expect(installer.length, 'the build has the installer views as chunks of their own').toBe(2);
  for (const file of installer) expect(precached.has(file), file).toBe(false);
  // Whatever index.html loads is precached, or the Remote would not open offline.
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/src="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  expect(entry.length).toBeGreaterThan(0);
  for (const file of entry) expect(precached.has(file), file).toBe(true);
  // esptool-js's chip stubs (one chunk each) are what makes the installer large.
  const stubs = assets.filter((f) => /\/esp32[a-z0-9-]*-|\/esp8266-/.test(f));
  expect(stubs.length).toBeGreaterThan(0);
  for (const file of stubs) expect(precached.has(file), file).toBe(false);
  // The QR encoder is only for the device that shows a pairing code; it too comes on first use.
  const qr = assets.filter((f) => /\/pair-qr-/.test(f));
  expect(qr).toHaveLength(1);
  expect(precached.has(qr[0]!)).toBe(false);
  expect(sw).toContain('nyala-installer');
});

test('opens offline after a first visit: the service worker serves it', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await page.goto(`${app.url}#/remote`);
  await expect(heading(page)).toBeVisible();
  await swReady(page);
  await app.stop();
  // Prove the server is really gone, so what follows can only come from the service worker.
  await expect(fetch(app.url)).rejects.toThrow();
  await page.reload();
  await expect(heading(page)).toBeVisible();
  await expect(page.getByTestId('build-id')).toContainText('e2e-a');
});

test('the installer opens offline once it has been opened with the service worker in charge', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await page.goto(`${app.url}#/remote`);
  await swReady(page);
  // The worker takes charge of the page from its next load; from then on the installer's chunks
  // are cached as they are fetched.
  await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.goto(`${app.url}#/install`);
  await expect(heading(page)).toBeVisible();
  await app.stop();
  await expect(fetch(app.url)).rejects.toThrow();
  await page.reload();
  await expect(heading(page)).toBeVisible();
  await expect(page.locator('nyala-install-view')).toBeAttached();
});

test('a waiting new version shows the reload prompt, and accepting loads it', async ({ page, servers }) => {
  const v1 = await servers.serve(builds.main);
  await page.goto(`${v1.url}#/remote`);
  await swReady(page);
  // A returning visitor: the page is now controlled by version 1's worker, so version 2 must wait.
  await page.reload();
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await expect(page.getByTestId('build-id')).toContainText('e2e-a');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // The next version goes live on the same origin.
  await v1.stop();
  await servers.serve(builds.next, v1.port);
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    await reg?.update();
  });
  const prompt = page.getByRole('alert');
  await expect(prompt).toContainText('A new version of Nyala is ready');
  // Nothing reloads by itself: the old version stays until the person says so.
  await expect(page.getByTestId('build-id')).toContainText('e2e-a');
  await prompt.getByRole('button', { name: 'Reload now' }).click();
  await expect(page.getByTestId('build-id')).toContainText('e2e-b');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('built under /nyala/ it loads with no failed request and no console error', async ({ page, servers }) => {
  const app = await servers.serve(builds.sub);
  const failures: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') failures.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => failures.push(`pageerror: ${err.message}`));
  const aborted: string[] = [];
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? '';
    // Chromium's own favicon fetch (type "other") is cancelled when the test reloads; the icons
    // themselves are checked below. Anything else that fails is the app's failure.
    if (req.resourceType() === 'other' && why === 'net::ERR_ABORTED') aborted.push(req.url());
    else failures.push(`failed: ${req.url()} ${why}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) failures.push(`${res.status()}: ${res.url()}`);
  });
  await page.goto(app.url);
  await expect(heading(page)).toBeVisible();
  await swReady(page);
  // A second view and a reload through the service worker must also stay clean.
  await page.goto(`${app.url}#/remote`);
  await page.reload();
  await expect(heading(page)).toBeVisible();
  const icon = page.locator('header img');
  await expect(icon).toHaveJSProperty('complete', true);
  expect(await icon.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  const iconLinks = await page.locator('link[rel~="icon"], link[rel="apple-touch-icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
  expect(iconLinks.length).toBeGreaterThan(0);
  for (const href of iconLinks) {
    expect(href.startsWith(app.url), href).toBe(true);
    expect((await page.request.get(href)).status(), href).toBe(200);
  }
  // Only the favicon fetches may have been cut short by the reload.
  expect(aborted.filter((u) => !iconLinks.includes(u))).toEqual([]);
  expect(failures).toEqual([]);
});
