// npm run screenshots — the README's pictures, taken from the real production build with a
// virtual board, so they stay current: the desktop install flow and the phone remote.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { build } from 'vite';
import { builds, outPath, root } from '../tests/e2e/builds.ts';
import { serve } from '../tests/e2e/fixtures.ts';
import { attachBoards } from '../tests/e2e/virtual-board.ts';
import { testImage } from '../tests/board/index.ts';

const out = path.join(root, 'docs', 'screenshots');
await mkdir(out, { recursive: true });
process.env.NYALA_BUILD_ID = 'screenshots';
await build({ logLevel: 'warn', build: { outDir: outPath(builds.main), emptyOutDir: true } });
const app = await serve(builds.main);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ locale: 'id-ID', viewport: { width: 1100, height: 820 } });
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05 } });
  const tmp = await mkdtemp(path.join(tmpdir(), 'nyala-shots-'));
  const file = path.join(tmp, 'ESP8266_GENERIC-demo.bin');
  await writeFile(file, testImage('esp8266'));
  await page.goto(`${app.url}#/install`);
  const view = page.locator('nyala-install-view');
  await view.getByRole('button', { name: 'Sambungkan' }).click();
  await view.getByTestId('chip').waitFor({ timeout: 60_000 });
  await view.getByLabel('Pilih berkas .bin').setInputFiles(file);
  await page.screenshot({ path: path.join(out, 'install-connected.png') });
  await view.getByRole('button', { name: 'Flash', exact: true }).click();
  await view.getByRole('button', { name: 'Ya, flash sekarang' }).click();
  await view.getByRole('progressbar').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => {
    const bar = document.querySelector('nyala-app')?.shadowRoot?.querySelector('nyala-install-view')?.shadowRoot?.querySelector('nyala-progress')?.shadowRoot?.querySelector('[role=progressbar]');
    return Number(bar?.getAttribute('aria-valuenow') ?? 0) >= 30;
  }, undefined, { timeout: 60_000 });
  await page.screenshot({ path: path.join(out, 'install-flashing.png') });
  await view.getByText('MicroPython sudah terpasang').waitFor({ timeout: 90_000 });
  await vb.close();
  await rm(tmp, { recursive: true, force: true });

  const phone = await browser.newPage({ locale: 'id-ID', viewport: { width: 412, height: 860 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
  await phone.goto(`${app.url}#/remote`);
  await phone.locator('nyala-remote-view').locator('h1').waitFor();
  await phone.screenshot({ path: path.join(out, 'remote-phone.png') });
  console.log(`screenshots in ${path.relative(root, out)}`);
} finally {
  await browser.close();
  await app.stop();
}
