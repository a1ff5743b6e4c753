// The real page flashes a virtual board: the stand-in gives navigator.serial a port backed by a
// board in this process, and the real esptool-js in the page does the work.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { testImage } from '../board/index.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });

test('connect, choose a .bin, flash with moving progress, done; the board boots it', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05 } });
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-e2e-'));
  try {
    const image = testImage('esp8266');
    const file = path.join(dir, 'ESP8266_GENERIC-test.bin');
    await writeFile(file, image);
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 30_000 });
    await expect(view.getByTestId('flash-size')).toHaveText('4MB');
    await expect(view.getByTestId('mac')).toHaveText(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

    await view.getByLabel('Choose a .bin file').setInputFiles(file);
    await expect(view.getByText('ESP8266_GENERIC-test.bin')).toBeVisible();
    await expect(view.getByRole('checkbox', { name: 'Erase everything first' })).toBeChecked();
    await view.getByRole('button', { name: 'Flash', exact: true }).click();
    const confirm = view.getByRole('alertdialog');
    await expect(confirm).toContainText('Everything in the board’s 4 MB flash will be erased');
    await confirm.getByRole('button', { name: 'Yes, flash it' }).click();

    // The bar moves: two different percentages seen while writing, with speed and time left.
    const bar = view.getByRole('progressbar');
    await expect(bar).toBeVisible({ timeout: 30_000 });
    const first = Number(await bar.getAttribute('aria-valuenow'));
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(first);
    await expect(view.getByTestId('speed')).toContainText('KB/s');

    await expect(view.getByRole('status')).toContainText('MicroPython is on the board', { timeout: 60_000 });
    const b = vb.boards.esp8266!;
    await b.waitForState('app', 10_000);
    // Everything but the header's mode/size bytes is the file, byte for byte.
    const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');
    expect(md5(b.flash.read(4, image.length - 4))).toBe(md5(image.subarray(4)));
  } finally {
    await vb.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a board that will not enter the bootloader shows how to do it by hand', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { bare: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05, autoReset: false } });
  try {
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    const error = view.getByTestId('flash-error');
    await expect(error).toHaveAttribute('data-code', 'no-bootloader', { timeout: 90_000 });
    await expect(error).toContainText('did not answer in download mode');
    await expect(error.getByRole('img', { name: /hold BOOT, tap EN/ })).toBeVisible();
    await expect(error.getByText('Hold the BOOT')).toBeVisible();
    await expect(error.getByRole('button', { name: 'Try again' })).toBeVisible();
  } finally {
    await vb.close();
  }
});

test('a file for the wrong chip is refused before anything is erased', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05 } });
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-e2e-'));
  try {
    const file = path.join(dir, 'ESP32_GENERIC.bin');
    await writeFile(file, testImage('esp32'));
    const b = vb.boards.esp8266!;
    const before = createHash('md5').update(b.flash.read(0, b.flash.size)).digest('hex');
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 30_000 });
    await view.getByLabel('Choose a .bin file').setInputFiles(file);
    await view.getByRole('button', { name: 'Flash', exact: true }).click();
    const error = view.getByTestId('flash-error');
    await expect(error).toHaveAttribute('data-code', 'wrong-chip');
    await expect(error).toContainText('This image is for ESP32, but the board is ESP8266');
    expect(createHash('md5').update(b.flash.read(0, b.flash.size)).digest('hex')).toBe(before);
  } finally {
    await vb.close();
    await rm(dir, { recursive: true, force: true });
  }
});
