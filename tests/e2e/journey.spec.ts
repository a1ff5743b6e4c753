// The whole journey on the real page: a fresh board → flash MicroPython → upload the lamp program
// with settings → the board's log shows Wi-Fi and MQTT up → Remote: On lights the lamp and shows
// "saya hidup", Off → "saya mati". Real esptool-js, real MicroPython, a real broker (aedes).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { testImage, type ChipName } from '../board/index.ts';
import { micropythonApp } from '../board/micropython/index.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { WIFI, fillBoardSettings } from './board-form.ts';
import { expectNoViolations } from './axe.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';


/** A fresh board through the installer: connect, choose the .bin, flash, on to the settings. */
async function flash(page: Page, appUrl: string, chip: ChipName, dir: string) {
  const file = path.join(dir, `${chip}.bin`);
  await writeFile(file, testImage(chip));
  await page.goto(`${appUrl}#/install`);
  const view = page.locator('nyala-install-view');
  await view.getByRole('button', { name: 'Connect' }).click();
  await expect(view.getByTestId('chip')).toContainText(chip === 'esp8266' ? 'ESP8266' : 'ESP32', { timeout: 60_000 });
  await view.getByLabel('Choose a .bin file').setInputFiles(file);
  await view.getByRole('button', { name: 'Flash', exact: true }).click();
  await view.getByRole('button', { name: 'Yes, flash it' }).click();
  await expect(view.getByText('MicroPython is on the board')).toBeVisible({ timeout: 120_000 });
  await view.getByRole('button', { name: 'Next: Wi-Fi and broker settings' }).click();
  return view;
}

/** The board's settings for this broker and Wi-Fi, then Upload. */
async function submitSettings(view: Locator, broker: TestBroker, topics: 'device' | 'tutorial') {
  const form = await fillBoardSettings(view, broker);
  if (topics === 'tutorial') {
    // Topics are an advanced setting: open that part of the form first.
    await form.locator('details.advanced > summary').click();
    await form.getByRole('button', { name: /Use the tutorial’s topics/ }).click();
  }
  await form.getByRole('button', { name: 'Upload' }).click();
  return view.locator('nyala-upload-panel');
}

async function flashAndUpload(page: Page, appUrl: string, chip: ChipName, broker: TestBroker, topics: 'device' | 'tutorial', dir: string) {
  const view = await flash(page, appUrl, chip, dir);
  const panel = await submitSettings(view, broker, topics);
  await expect(panel.getByTestId('upload-state')).toBeVisible({ timeout: 30_000 });
  const steps = panel.getByTestId('boot-steps');
  await expect(steps).toContainText(`Joining Wi-Fi “${WIFI.ssid}”`, { timeout: 90_000 });
  await expect(steps).toContainText('Connected to the broker', { timeout: 60_000 });
  await expect(panel.getByTestId('lamp-online')).toBeVisible();
  await panel.getByRole('link', { name: 'Open the remote' }).click();
}

for (const c of [
  { chip: 'esp8266' as const, topics: 'device' as const, onLevel: 0 as const },
  { chip: 'esp8266' as const, topics: 'tutorial' as const, onLevel: 0 as const },
  { chip: 'esp32' as const, topics: 'device' as const, onLevel: 1 as const },
]) {
  test(`${c.chip} with ${c.topics} topics: flash, upload, then the remote switches the lamp`, async ({ page, servers }) => {
    test.setTimeout(300_000);
    const broker = new TestBroker();
    await broker.start();
    const dir = await mkdtemp(path.join(tmpdir(), 'nyala-journey-'));
    const vb = await attachBoards(page, {
      lamp: { chip: c.chip, flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI] },
    });
    try {
      const app = await servers.serve(builds.main);
      await flashAndUpload(page, app.url, c.chip, broker, c.topics, dir);

      const board = vb.boards.lamp!;
      await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });
      await page.getByRole('button', { name: 'On', exact: true }).click();
      await board.gpio.waitFor(2, c.onLevel, 30_000);
      await expect(page.getByTestId('last-reply')).toContainText('saya hidup', { timeout: 30_000 });
      await page.getByRole('button', { name: 'Off', exact: true }).click();
      await board.gpio.waitFor(2, c.onLevel === 0 ? 1 : 0, 30_000);
      await expect(page.getByTestId('last-reply')).toContainText('saya mati', { timeout: 30_000 });
    } finally {
      await vb.close();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('in real time: the lamp set up on the laptop is paired to a phone, and both show the new state', async ({ page, browser, servers }) => {
  test.setTimeout(300_000);
  const broker = new TestBroker();
  await broker.start();
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-journey-'));
  // timeScale 1: the link, the flash and the Wi-Fi take the time they take on a real board.
  const vb = await attachBoards(page, { lamp: { chip: 'esp8266', flashSize: '4MB', timeScale: 1, app: micropythonApp, accessPoints: [WIFI] } });
  try {
    const app = await servers.serve(builds.main);
    await flashAndUpload(page, app.url, 'esp8266', broker, 'device', dir);
    await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });

    await page.getByText('Pair a phone').click();
    const link = await page.getByTestId('pair-link').innerText();
    expect(link).not.toContain(WIFI.password);
    const phone = await browser.newContext({ locale: 'en-US', viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      await p.goto(link);
      await p.getByRole('button', { name: 'Yes, add this lamp' }).click();
      await expect(p.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });
      await p.getByRole('button', { name: 'On', exact: true }).click();
      await vb.boards.lamp!.gpio.waitFor(2, 0, 30_000);
      await expect(p.getByTestId('last-reply')).toContainText('saya hidup');
      // The laptop learns it from the board's retained state and reply.
      await expect(page.getByTestId('lamp-state')).toHaveText('The lamp is on', { timeout: 30_000 });
      await expect(page.getByTestId('last-reply')).toContainText('saya hidup');
    } finally {
      await phone.close();
    }
  } finally {
    await vb.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('unplugged mid-upload, plugged back, uploaded again: it completes and the lamp works', async ({ page, servers }) => {
  test.setTimeout(300_000);
  const broker = new TestBroker();
  await broker.start();
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-journey-'));
  const vb = await attachBoards(page, { lamp: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI] } });
  const board = vb.boards.lamp!;
  try {
    const app = await servers.serve(builds.main);
    const view = await flash(page, app.url, 'esp8266', dir);
    const panel = await submitSettings(view, broker, 'device');
    await expect(panel.getByTestId('upload-state')).toContainText('Writing', { timeout: 60_000 });
    board.faults.unplug();
    await expect(panel.getByTestId('upload-error')).toContainText('disconnected', { timeout: 60_000 });
    await expectNoViolations(page, 'install: the upload cut by an unplug');
    board.faults.replug();
    await panel.getByRole('button', { name: 'Upload' }).click();
    await expect(panel.getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
    await panel.getByRole('link', { name: 'Open the remote' }).click();
    await page.getByRole('button', { name: 'On', exact: true }).click();
    await board.gpio.waitFor(2, 0, 30_000);
    await expect(page.getByTestId('last-reply')).toContainText('saya hidup', { timeout: 30_000 });
  } finally {
    await vb.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('the broker restarts while the remote is open: page and board come back by themselves', async ({ page, servers }) => {
  test.setTimeout(300_000);
  const broker = new TestBroker();
  await broker.start();
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-journey-'));
  const vb = await attachBoards(page, { lamp: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI] } });
  try {
    const app = await servers.serve(builds.main);
    await flashAndUpload(page, app.url, 'esp8266', broker, 'device', dir);
    await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });
    await broker.stop();
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', /reconnecting|connecting/, { timeout: 30_000 });
    await broker.start();
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 90_000 });
    // The board's backoff brings it back and its retained `online` says so.
    await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 90_000 });
    await page.getByRole('button', { name: 'On', exact: true }).click();
    await vb.boards.lamp!.gpio.waitFor(2, 0, 30_000);
    await expect(page.getByTestId('last-reply')).toContainText('saya hidup', { timeout: 30_000 });
  } finally {
    await vb.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
