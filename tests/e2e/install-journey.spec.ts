// The install journey outlives the view that started it: a flash goes on while the person looks at
// the Remote, `beforeunload` asks only while the board is written, a second page of the app
// cannot write to a board while the first does (Web Locks), and the "new version" prompt waits
// for the flash to end. Real esptool-js against the virtual board through the page's stand-in.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Page } from '@playwright/test';
import { testImage } from '../board/index.ts';
import { micropythonApp } from '../board/micropython/index.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { WIFI, fillBoardSettings } from './board-form.ts';
import { expectNoViolations } from './axe.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });

const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');

/** Whether a `beforeunload` now would make the browser ask (the journey's listener cancels it). */
function unloadArmed(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
}

/** On the Install view: connect, choose the file, flash, confirm; returns once it writes. */
async function startFlash(page: Page, file: string): Promise<void> {
  const view = page.locator('nyala-install-view');
  await view.getByRole('button', { name: 'Connect' }).click();
  await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
  await view.getByLabel('Choose a .bin file').setInputFiles(file);
  await view.getByRole('button', { name: 'Flash', exact: true }).click();
  await view.getByRole('alertdialog').getByRole('button', { name: 'Yes, flash it' }).click();
  await expect(view.getByRole('progressbar')).toBeVisible({ timeout: 60_000 });
}

let dir = '';
let file = '';
test.beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nyala-install-'));
  file = path.join(dir, 'ESP8266_GENERIC-test.bin');
  await writeFile(file, testImage('esp8266'));
});
test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a flash goes on while the Remote is shown, the navigation shows it, and coming back shows it done', async ({ page, servers }) => {
  test.setTimeout(240_000);
  const app = await servers.serve(builds.main);
  // A slower link than the other tests: the write lasts long enough to walk away from it.
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.5 } });
  try {
    await page.goto(`${app.url}#/install`);
    expect(await unloadArmed(page)).toBe(false);
    await startFlash(page, file);
    expect(await unloadArmed(page)).toBe(true);

    await page.getByRole('navigation').getByRole('link', { name: /Remote/ }).click();
    await expect(page.locator('nyala-remote-view')).toBeVisible();
    await expect(page.locator('nyala-install-view')).toHaveCount(0);
    // The navigation says what the installer does, with its progress.
    const badge = page.getByTestId('nav-journey');
    await expect(badge).toContainText(/flashing · \d+ %/);
    await expect(badge).toHaveAttribute('data-writing', 'true');
    // It finishes without the view: then it waits for the settings.
    await expect(badge).toContainText('waiting for you', { timeout: 120_000 });
    expect(await unloadArmed(page)).toBe(false);

    await page.getByRole('navigation').getByRole('link', { name: /Install/ }).click();
    const view = page.locator('nyala-install-view');
    await expect(view.getByText('MicroPython is on the board')).toBeVisible();
    const b = vb.boards.esp8266!;
    await b.waitForState('app', 10_000);
    const image = testImage('esp8266');
    expect(md5(b.flash.read(4, image.length - 4))).toBe(md5(image.subarray(4)));
  } finally {
    await vb.close();
  }
});

test('a second page of the app cannot start while the first writes to a board, and says why', async ({ page, context, servers }) => {
  test.setTimeout(240_000);
  const app = await servers.serve(builds.main);
  const first = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.5 } });
  const other = await context.newPage();
  const second = await attachBoards(other, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05 } });
  try {
    await page.goto(`${app.url}#/install`);
    await other.goto(`${app.url}#/install`);
    await startFlash(page, file);

    const view = other.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    const error = view.getByTestId('flash-error');
    await expect(error).toHaveAttribute('data-code', 'other-tab');
    await expect(error).toContainText('Another tab or window of Nyala is writing to a board right now');
    // Nothing was asked of the second page's board.
    expect(second.boards.esp8266!.state).not.toBe('download');

    // Once the first page is done, the second one can go on.
    await expect(page.locator('nyala-install-view').getByText('MicroPython is on the board')).toBeVisible({ timeout: 120_000 });
    await error.getByRole('button', { name: 'Try again' }).click();
    await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
  } finally {
    await first.close();
    await second.close();
    await other.close();
  }
});

test('the "new version" prompt waits until the flash has ended', async ({ page, servers }) => {
  test.setTimeout(240_000);
  const v1 = await servers.serve(builds.main);
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.5 } });
  try {
    await page.goto(`${v1.url}#/install`);
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      if (!reg.active) throw new Error('no active service worker');
    });
    // Controlled by version 1's worker, so version 2 has to wait.
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await startFlash(page, file);

    await v1.stop();
    await servers.serve(builds.next, v1.port);
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      await reg?.update();
    });
    await expect.poll(() => page.evaluate(async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting)), { timeout: 30_000 }).toBe(true);
    // Version 2 waits, and while the board is written nobody is offered to reload.
    const state = page.locator('nyala-install-view').getByTestId('flash-state');
    await expect(state).toBeVisible();
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
    await expect(state).toBeVisible();

    await expect(page.locator('nyala-install-view').getByText('MicroPython is on the board')).toBeVisible({ timeout: 120_000 });
    const prompt = page.getByTestId('update-prompt');
    await expect(prompt).toContainText('A new version of Nyala is ready');
    await expect(page.getByTestId('build-id')).toContainText('e2e-a');
  } finally {
    await vb.close();
  }
});


/**
 * Espressif's native USB on the page: the virtual ESP32 wired as USB-Serial-JTAG (0x303a:0x1001).
 * After the flash its port goes away and comes back (the test power-cycles the board where a real
 * one re-enumerates): the installer takes it again by itself, or asks the person to choose it.
 */
for (const how of ['by itself', 'chosen again'] as const) {
  test(`native USB: the port that comes back after the reset is found ${how}, and the lamp goes online`, async ({ page, servers }) => {
    test.setTimeout(240_000);
    const broker = new TestBroker();
    await broker.start();
    const app = await servers.serve(builds.main);
    const vb = await attachBoards(page, {
      c: { chip: 'esp32', flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI], resetCircuit: 'usb-serial-jtag' },
    });
    const b = vb.boards.c!;
    try {
      await page.goto(`${app.url}#/install`);
      const view = page.locator('nyala-install-view');
      await view.getByRole('button', { name: 'Connect' }).click();
      await expect(view.getByTestId('chip')).toContainText('ESP32', { timeout: 60_000 });
      const esp32 = path.join(dir, 'ESP32_GENERIC-test.bin');
      await writeFile(esp32, testImage('esp32'));
      await view.getByLabel('Choose a .bin file').setInputFiles(esp32);
      await view.getByRole('button', { name: 'Flash', exact: true }).click();
      await view.getByRole('button', { name: 'Yes, flash it' }).click();

      const waiting = view.getByText('The board restarted; its USB port is coming back…');
      const again = view.getByTestId('choose-port-again');
      await expect(waiting.or(again)).toBeVisible({ timeout: 120_000 });
      if (how === 'chosen again') {
        await expect(again).toContainText('comes back as a new port', { timeout: 30_000 });
        await expectNoViolations(page, 'install: choose the port again');
        b.faults.unplug();
        b.faults.replug();
        await again.getByRole('button', { name: 'Choose the port' }).click();
      } else {
        b.faults.unplug();
        b.faults.replug();
      }
      await expect(view.getByText('MicroPython is on the board')).toBeVisible({ timeout: 60_000 });
      await view.getByRole('button', { name: 'Next: Wi-Fi and broker settings' }).click();
      const form = await fillBoardSettings(view, broker);
      await form.getByRole('button', { name: 'Upload' }).click();
      await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
    } finally {
      await vb.close();
      await broker.stop();
    }
  });
}
