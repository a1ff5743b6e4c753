// npm run screenshots — the README's pictures, taken from the real production build with a
// virtual board and a local broker, so they stay current: the desktop install flow and the phone
// remote, light and dark, and its settings form. Writes docs/screenshots/*.png.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { build } from 'vite';
import { outPath, root, type BuildSpec } from '../tests/e2e/builds.ts';
import { serve } from '../tests/e2e/fixtures.ts';
import { attachBoards } from '../tests/e2e/virtual-board.ts';
import { testImage } from '../tests/board/index.ts';
import { BoardClient, TestBroker } from '../tests/unit/lamp/harness.ts';
import { pairingHash } from '../src/lamp/pairing.ts';
import { defaultSettings } from '../src/lamp/settings.ts';

const spec: BuildSpec = { outDir: 'dist-shots', base: '/', buildId: 'screenshots' };
const out = path.join(root, 'docs', 'screenshots');
await mkdir(out, { recursive: true });
process.env.NYALA_BUILD_ID = spec.buildId;
await build({ logLevel: 'warn', build: { outDir: outPath(spec), emptyOutDir: true } });
const app = await serve(spec);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const broker = new TestBroker();
await broker.start();
const tmp = await mkdtemp(path.join(tmpdir(), 'nyala-shots-'));
try {
  // Desktop: connect a board, choose the firmware, flash.
  const page = await browser.newPage({ locale: 'id-ID', viewport: { width: 1100, height: 820 } });
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.2 } });
  const file = path.join(tmp, 'ESP8266_GENERIC-20251209-v1.27.0.bin');
  await writeFile(file, testImage('esp8266'));
  await page.goto(`${app.url}#/install`);
  const view = page.locator('nyala-install-view');
  await view.getByRole('button', { name: 'Sambungkan' }).click();
  await view.getByTestId('chip').waitFor({ timeout: 60_000 });
  await view.getByLabel('Pilih berkas .bin').setInputFiles(file);
  await page.screenshot({ path: path.join(out, 'install-connected.png') });
  await view.getByRole('button', { name: 'Flash', exact: true }).click();
  await view.getByRole('button', { name: 'Ya, flash sekarang' }).click();
  const bar = view.getByRole('progressbar');
  await bar.waitFor({ timeout: 60_000 });
  while (Number(await bar.getAttribute('aria-valuenow')) < 40) await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(out, 'install-flashing.png') });
  await view.getByText('MicroPython sudah terpasang').waitFor({ timeout: 120_000 });
  await vb.close();

  // Phone: the lamp paired from the laptop, switched on.
  const lamp = defaultSettings({ name: 'Lampu teras', preset: 'custom' });
  lamp.broker = { ...lamp.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  // A new lamp is signed: the stand-in board answers with the lamp's key, as the firmware does.
  const key = lamp.auth.mode === 'signed' ? lamp.auth.key : undefined;
  const board = new BoardClient({ brokerUrl: broker.tcpUrl, topics: lamp.topics, replies: lamp.replies, key });
  await board.start();
  const phone = await browser.newPage({ locale: 'id-ID', viewport: { width: 412, height: 860 }, isMobile: true, hasTouch: true });
  await phone.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
  await phone.getByRole('button', { name: /tambahkan lampu ini/i }).click();
  await phone.getByTestId('presence').getByText('Daring').waitFor({ timeout: 30_000 });
  await phone.getByRole('button', { name: 'Nyalakan', exact: true }).click();
  await phone.getByTestId('last-reply').getByText(/saya hidup/).waitFor({ timeout: 30_000 });
  await phone.screenshot({ path: path.join(out, 'remote-phone.png') });
  // The same lamp's settings: Wi-Fi-free on a phone, the broker first, the rest under "Lanjutan".
  await phone.getByRole('button', { name: 'Pengaturan', exact: true }).click();
  await phone.getByRole('button', { name: 'Simpan' }).waitFor();
  await phone.screenshot({ path: path.join(out, 'remote-settings-phone.png') });

  // Desktop, dark: the remote with the lamp on, and its pairing QR code.
  const desk = await browser.newPage({ locale: 'en-US', viewport: { width: 1100, height: 900 }, colorScheme: 'dark' });
  await desk.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
  await desk.getByRole('button', { name: 'Yes, add this lamp' }).click();
  await desk.getByTestId('presence').getByText('Online').waitFor({ timeout: 30_000 });
  await desk.getByRole('button', { name: 'On', exact: true }).click();
  await desk.getByTestId('last-reply').getByText(/saya hidup/).waitFor({ timeout: 30_000 });
  await desk.screenshot({ path: path.join(out, 'remote-desktop-dark.png') });
  await board.stop();
  console.log(`screenshots in ${path.relative(root, out)}`);
} finally {
  await browser.close();
  await app.stop();
  await broker.stop();
  await rm(tmp, { recursive: true, force: true });
  await rm(outPath(spec), { recursive: true, force: true });
}
