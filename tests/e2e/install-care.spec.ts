// Issue 17 on the Install view: a lamp keeps its identity when its board gets the program again,
// every error leads to its fix (a wrong Wi-Fi password brings the form back with that field
// focused, and the same wrong value is never sent again), new content is brought into view and
// focused, erasing says how long it has taken, the backup warns about the passwords it holds, and
// axe finds nothing on each install step, light and dark. Real esptool-js and real MicroPython on
// the virtual board, a real broker (aedes).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { testImage } from '../board/index.ts';
import { micropythonApp } from '../board/micropython/index.ts';
import { micropythonBoardOptions } from '../unit/device/micropython-board.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { defaultSettings } from '../../src/lamp/settings.ts';
import { expectNoViolations } from './axe.ts';
import { WIFI, fillBoardSettings } from './board-form.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });



/** Connect to a board that runs MicroPython and choose "Just upload". */
async function justUpload(page: Page): Promise<Locator> {
  const view = page.locator('nyala-install-view');
  await view.getByRole('button', { name: 'Connect' }).click();
  await expect(view.getByTestId('micropython-found')).toBeVisible({ timeout: 60_000 });
  await view.getByRole('button', { name: 'Just upload' }).click();
  await expect(view.locator('nyala-lamp-settings-form').getByLabel('Network name (SSID)')).toBeVisible({ timeout: 30_000 });
  return view;
}

/** The lamps this browser keeps (storage key, device id, command topic, signing key). */
async function savedLamps(page: Page): Promise<{ key: string; deviceId: string; command: string; auth: string }[]> {
  const raw = await page.evaluate(() => localStorage.getItem('nyala.lamps.v1') ?? '{"lamps":[]}');
  const data = JSON.parse(raw) as { lamps: { key: string; deviceId: string; topics: { command: string }; auth: { key?: string } }[] };
  return data.lamps.map((l) => ({ key: l.key, deviceId: l.deviceId, command: l.topics.command, auth: l.auth.key ?? '' }));
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} scheme`, () => {
    test.use({ colorScheme });

    test('a wrong Wi-Fi password brings the form back with that field focused; the same value is not sent again; the right one gets online', async ({ page, servers }) => {
      test.setTimeout(240_000);
      const broker = new TestBroker();
      await broker.start();
      const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266', { accessPoints: [WIFI] }) });
      try {
        const app = await servers.serve(builds.main);
        await page.goto(`${app.url}#/install`);
        const view = await justUpload(page);
        await expectNoViolations(page, 'install: settings');
        const form = await fillBoardSettings(view, broker, 'salah-sekali');
        await form.getByRole('button', { name: 'Upload' }).click();
        await expect(view.getByTestId('upload-state')).toBeVisible({ timeout: 30_000 });
        await expectNoViolations(page, 'install: uploading');

        // The board says the password is wrong: the form is back, the password field focused,
        // the hint beside it, the board's steps above with the Wi-Fi step failed.
        const fix = view.getByTestId('fix-settings');
        await expect(fix).toBeVisible({ timeout: 120_000 });
        const password = fix.locator('nyala-lamp-settings-form').getByLabel('Wi-Fi password', { exact: true });
        await expect(password).toBeFocused();
        await expect(password).toHaveAttribute('aria-invalid', 'true');
        await expect(password).toHaveValue('salah-sekali');
        await expect(fix.locator('nyala-lamp-settings-form').locator('#wifi-password-error')).toContainText('The Wi-Fi password is wrong');
        await expect(fix.getByTestId('boot-steps').locator('li[data-status="failed"]')).toContainText(`Joining Wi-Fi “${WIFI.ssid}”`);
        // No button that would upload the same values again.
        await expect(fix.locator('nyala-upload-panel').getByRole('button', { name: 'Upload' })).toHaveCount(0);
        await expectNoViolations(page, 'install: failed (the form to fix)');

        // Upload with the same wrong password: refused here, nothing is sent to the board.
        await fix.locator('nyala-lamp-settings-form').getByRole('button', { name: 'Upload' }).click();
        await expect(fix.locator('nyala-lamp-settings-form').locator('#wifi-password-error')).toContainText('already tried this');
        await expect(password).toBeFocused();
        await expect(view.getByTestId('upload-state')).toHaveCount(0);

        await password.fill(WIFI.password);
        await fix.locator('nyala-lamp-settings-form').getByRole('button', { name: 'Upload' }).click();
        const panel = view.locator('nyala-upload-panel');
        await expect(panel.getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
        await expect(panel.getByTestId('boot-steps').locator('li[data-status="failed"]')).toHaveCount(0);
        // One way on after success, and no Cancel left.
        await expect(view.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
        await expectNoViolations(page, 'install: online');
      } finally {
        await vb.close();
        await broker.stop();
      }
    });

    test('flash: errors and the confirmation are brought into view and focused, erasing shows its time, the backup warns about passwords', async ({ page, servers }) => {
      test.setTimeout(300_000);
      // A short window: the firmware section ends below the fold, where the confirmation opens.
      await page.setViewportSize({ width: 900, height: 600 });
      const dir = await mkdtemp(path.join(tmpdir(), 'nyala-care-'));
      const right = path.join(dir, 'ESP8266_GENERIC-test.bin');
      const wrong = path.join(dir, 'ESP32_GENERIC-test.bin');
      await writeFile(right, testImage('esp8266'));
      await writeFile(wrong, testImage('esp32'));
      // timeScale 0.5: the chip erase lasts long enough to read its elapsed time.
      const vb = await attachBoards(page, { lamp: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.5, app: micropythonApp } });
      try {
        const app = await servers.serve(builds.main);
        await page.goto(`${app.url}#/install`);
        const view = page.locator('nyala-install-view');
        await view.getByRole('button', { name: 'Connect' }).click();
        await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
        await expect(view.getByTestId('drop-zone')).toBeVisible();
        await expectNoViolations(page, 'install: connected');

        // A wrong-chip file: the error is brought into view and focused.
        await view.getByLabel('Choose a .bin file').setInputFiles(wrong);
        await view.getByRole('button', { name: 'Flash', exact: true }).click();
        const error = view.getByTestId('flash-error');
        await expect(error).toBeVisible({ timeout: 30_000 });
        await expect(error).toBeFocused();
        await expect(error).toBeInViewport();
        await expectNoViolations(page, 'install: failed (wrong chip)');
        await view.getByRole('button', { name: 'Try again' }).click();
        await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });

        await view.getByLabel('Save a backup of the board first').check();
        await expect(view.getByTestId('backup-secrets')).toContainText('Wi-Fi and broker passwords');
        await view.getByLabel('Save a backup of the board first').uncheck();
        await view.getByLabel('Choose a .bin file').setInputFiles(right);
        await view.getByRole('button', { name: 'Flash', exact: true }).click();
        const confirm = view.getByRole('alertdialog');
        await expect(confirm).toBeFocused({ timeout: 30_000 });
        await expect(confirm).toBeInViewport();
        // The Flash button is gone while the question is open: only the question's buttons act.
        await expect(view.getByRole('button', { name: 'Flash', exact: true })).toHaveCount(0);
        await expectNoViolations(page, 'install: confirmation');
        await confirm.getByRole('button', { name: 'Yes, flash it' }).click();

        const erase = view.getByTestId('erase-time');
        await expect(erase).toContainText(/\d+ sec so far; a 4MB chip usually takes about 10 sec/, { timeout: 30_000 });
        await expect(erase).toContainText(/[1-9]\d* sec so far/, { timeout: 30_000 });
        await expect(view.getByRole('button', { name: 'Cancel' })).toHaveCount(1);
        await expectNoViolations(page, 'install: flashing (erasing)');
        await expect(view.getByRole('progressbar')).toBeVisible({ timeout: 60_000 });
        await expect(view.getByText('MicroPython is on the board')).toBeVisible({ timeout: 180_000 });
      } finally {
        await vb.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}

test('a board that already carries a lamp keeps it: upload again, the same lamp, and a paired phone keeps switching it', async ({ page, browser, servers }) => {
  test.setTimeout(300_000);
  const broker = new TestBroker();
  await broker.start();
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266', { accessPoints: [WIFI] }) });
  const board = vb.boards.mpy!;
  const phone = await browser.newContext({ locale: 'en-US', viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });
  try {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/install`);
    // Another lamp is saved first, so the remote would show it unless told which lamp is new.
    const other = defaultSettings({ name: 'Dapur', preset: 'custom' });
    other.broker = { ...other.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
    await page.evaluate((lamp) => localStorage.setItem('nyala.lamps.v1', JSON.stringify({ format: 'nyala-lamps', version: 1, lamps: [lamp] })), other);
    await page.reload();
    let view = await justUpload(page);
    const form = await fillBoardSettings(view, broker, WIFI.password);
    await form.getByRole('button', { name: 'Upload' }).click();
    await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
    const before = (await savedLamps(page)).filter((l) => l.key !== other.key);
    expect(before).toHaveLength(1);

    // "Open the remote" shows the lamp just installed, not the first one in the list.
    await view.getByRole('link', { name: 'Open the remote' }).click();
    await expect(page.locator('nyala-remote-view .lamp-tab[aria-pressed="true"]')).toContainText(`Lampu ${before[0]!.deviceId}`);
    await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });
    await page.getByText('Pair a phone').click();
    const link = await page.getByTestId('pair-link').innerText();
    const p = await phone.newPage();
    await p.goto(link);
    await p.getByRole('button', { name: 'Yes, add this lamp' }).click();
    await expect(p.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });

    // Again, from a fresh page (nothing of the first journey in memory): the board's config.json
    // says which lamp it is.
    await page.goto(`${app.url}#/install`);
    await page.reload();
    view = await justUpload(page);
    await expect(view.getByTestId('kept-lamp')).toBeVisible();
    const again = view.locator('nyala-lamp-settings-form');
    await expect(again.getByLabel('Wi-Fi password', { exact: true })).toHaveValue(WIFI.password);
    await expect(again.getByLabel('Broker host for the board')).toHaveValue('127.0.0.1');
    await again.getByRole('button', { name: 'Upload' }).click();
    await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });

    // Still one lamp besides the other, the same one: no Offline ghost, the same storage as before.
    await view.getByRole('link', { name: 'Open the remote' }).click();
    await expect(page.locator('nyala-remote-view .lamp-tab[aria-pressed="true"]')).toContainText(`Lampu ${before[0]!.deviceId}`);
    await expect(page.getByTestId('presence')).toHaveText('Online', { timeout: 30_000 });
    const after = (await savedLamps(page)).filter((l) => l.key !== other.key);
    expect(after).toHaveLength(1);
    expect(await savedLamps(page)).toHaveLength(2);
    expect(after[0]).toEqual(before[0]);

    // The phone paired before the second upload still switches the lamp.
    await p.getByRole('button', { name: 'On', exact: true }).click();
    await board.gpio.waitFor(2, 0, 30_000);
    await expect(p.getByTestId('last-reply')).toContainText('saya hidup', { timeout: 30_000 });
  } finally {
    await phone.close();
    await vb.close();
    await broker.stop();
  }
});

test('Cancel of an upload: one Cancel while it runs, and the words say what state the board is in', async ({ page, servers }) => {
  test.setTimeout(180_000);
  const broker = new TestBroker();
  await broker.start();
  // A slow link: the upload lasts long enough to cancel it while a file is written.
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266', { accessPoints: [WIFI], timeScale: 1 }) });
  try {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/install`);
    const view = await justUpload(page);
    const form = await fillBoardSettings(view, broker, WIFI.password);
    await form.getByRole('button', { name: 'Upload' }).click();
    await expect(view.getByTestId('upload-state')).toContainText('Writing', { timeout: 60_000 });
    await expect(view.getByRole('button', { name: 'Cancel' })).toHaveCount(1);
    await view.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = view.getByTestId('journey-cancelled');
    await expect(cancelled).toContainText('The board is as it was', { timeout: 30_000 });
    await expect(cancelled).toBeFocused();
    await expect(view.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
    // Upload again from there: it completes.
    await cancelled.getByRole('button', { name: 'Upload' }).click();
    await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 150_000 });
  } finally {
    await vb.close();
    await broker.stop();
  }
});

test.describe('in Bahasa Indonesia', () => {
  test.use({ locale: 'id-ID' });

  test('the navigation says Remot, and the language switch is a compact ID / EN with its name', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.addInitScript(() => localStorage.setItem('nyala.lang', 'id'));
    await page.goto(`${app.url}#/install`);
    await expect(page.getByRole('navigation').getByRole('link', { name: 'Remot', exact: true })).toBeVisible();
    const lang = page.getByRole('combobox', { name: 'Bahasa' });
    await expect(lang).toHaveValue('id');
    await expect(lang.locator('option:checked')).toHaveText('ID');
    await expect(lang.getByRole('option', { name: 'English' })).toHaveText('EN');
    await lang.selectOption('en');
    await expect(page.getByRole('navigation').getByRole('link', { name: 'Remote', exact: true })).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Language' }).locator('option:checked')).toHaveText('EN');
  });

  test('the board’s link speed in Indonesian digits (921.600 baud), and the erase time in dtk', async ({ page, servers }) => {
    test.setTimeout(120_000);
    const vb = await attachBoards(page, { lamp: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.5, app: micropythonApp } });
    const dir = await mkdtemp(path.join(tmpdir(), 'nyala-care-'));
    const file = path.join(dir, 'ESP8266_GENERIC-test.bin');
    await writeFile(file, testImage('esp8266'));
    try {
      const app = await servers.serve(builds.main);
      await page.addInitScript(() => localStorage.setItem('nyala.lang', 'id'));
      await page.goto(`${app.url}#/install`);
      const view = page.locator('nyala-install-view');
      await view.getByRole('button', { name: 'Sambungkan' }).click();
      await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
      await expect(view.getByTestId('board-info')).toContainText(/\d{3}\.\d{3} baud/);
      await view.getByLabel('Pilih berkas .bin').setInputFiles(file);
      await view.getByRole('button', { name: 'Flash', exact: true }).click();
      await view.getByRole('alertdialog').getByRole('button', { name: 'Ya, flash sekarang' }).click();
      await expect(view.getByTestId('erase-time')).toContainText(/Sudah \d+ dtk; chip 4MB biasanya butuh sekitar 10 dtk/, { timeout: 30_000 });
      await expect(view.getByText(/Ditulis dan diperiksa dalam \d+,\d dtk/)).toBeVisible({ timeout: 120_000 });
    } finally {
      await vb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('no such network, then a broker that refuses: each time the form comes back at the field to fix', async ({ page, servers }) => {
  test.setTimeout(240_000);
  const broker = new TestBroker();
  await broker.start();
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266', { accessPoints: [WIFI] }) });
  try {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/install`);
    const view = await justUpload(page);
    const form = await fillBoardSettings(view, broker, WIFI.password);
    await form.getByLabel('Network name (SSID)').fill('Tetangga');
    await form.getByRole('button', { name: 'Upload' }).click();

    const fix = view.getByTestId('fix-settings');
    const fixForm = fix.locator('nyala-lamp-settings-form');
    await expect(fix).toBeVisible({ timeout: 120_000 });
    await expect(fixForm.getByLabel('Network name (SSID)')).toBeFocused();
    await expect(fixForm.locator('#wifi-ssid-error')).toContainText('cannot find that Wi-Fi network');

    // The right network, but a port where no broker listens.
    await fixForm.getByLabel('Network name (SSID)').fill(WIFI.ssid);
    const closed = broker.tcpPort === 1 ? 2 : 1;
    await fixForm.getByLabel('Broker TCP port for the board').fill(String(closed));
    await fixForm.getByRole('button', { name: 'Upload' }).click();
    await expect(view.getByTestId('upload-state')).toBeVisible({ timeout: 30_000 });
    await expect(fix).toBeVisible({ timeout: 120_000 });
    await expect(fixForm.getByLabel('Broker host for the board')).toBeFocused();
    await expect(fixForm.locator('#broker-port-error')).toContainText('refused the connection');

    await fixForm.getByLabel('Broker TCP port for the board').fill(String(broker.tcpPort));
    await fixForm.getByRole('button', { name: 'Upload' }).click();
    await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
  } finally {
    await vb.close();
    await broker.stop();
  }
});

test('Connect always lets the person choose the port: the second Connect reaches the other board', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const vb = await attachBoards(page, { a: await micropythonBoardOptions('esp8266'), b: await micropythonBoardOptions('esp32') });
  try {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('micropython-found')).toContainText('ESP8266', { timeout: 60_000 });
    await view.getByRole('button', { name: 'Cancel' }).click();
    await expect(view.getByTestId('journey-cancelled')).toBeVisible();
    vb.bridge.choose('b');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('micropython-found')).toContainText('ESP32', { timeout: 60_000 });
    await expect(view.getByTestId('micropython-found')).not.toContainText('ESP8266');
  } finally {
    await vb.close();
  }
});
