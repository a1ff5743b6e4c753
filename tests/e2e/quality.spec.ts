// Issue 17's quality gates in the browser: axe finds no accessibility violation on any view and
// state reachable without the install journey, in light and in dark, and on the install screens in
// Bahasa Indonesia (MicroPython found, settings, firmware, a refusal, the confirmation); and no view writes an error
// to the console in the production build. The remote runs against a local aedes broker and a
// signed lamp (fixtures.ts), the console against a virtual board running real MicroPython.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { testImage } from '../board/index.ts';
import { pairingHash } from '../../src/lamp/pairing.ts';
import { defaultSettings } from '../../src/lamp/settings.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { micropythonBoardOptions } from '../unit/device/micropython-board.ts';
import { expectNoViolations } from './axe.ts';
import { builds } from './builds.ts';
import { SignedBoard, expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

/** Every console error and uncaught exception from now on. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  return errors;
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} scheme`, () => {
    test.use({ colorScheme, locale: 'en-US' });

    test('remote: empty, pairing, a lamp online, its QR, the remove question, the settings form with Advanced open', async ({ page, servers }) => {
      const broker = new TestBroker();
      await broker.start();
      const lamp = defaultSettings({ name: 'Teras', preset: 'custom' });
      lamp.broker = { ...lamp.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
      const fw = new SignedBoard({ brokerUrl: broker.tcpUrl, lamp });
      await fw.start();
      try {
        const errors = collectErrors(page);
        const app = await servers.serve(builds.main);
        await page.goto(`${app.url}#/remote`);
        await expect(page.getByRole('heading', { name: 'Remote' })).toBeVisible();
        await expectNoViolations(page, 'remote, no lamp');

        await page.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
        await expect(page.getByRole('button', { name: 'Yes, add this lamp' })).toBeVisible();
        await expectNoViolations(page, 'pairing question');
        await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
        await expect(page.getByTestId('presence')).toHaveText('Online');
        await page.getByRole('button', { name: 'On', exact: true }).click();
        await expect(page.getByTestId('lamp-state')).toHaveText('The lamp is on');
        await expectNoViolations(page, 'remote with a lamp on');

        await page.getByText('Message log').click();
        await page.getByText('Pair a phone').click();
        await expect(page.getByRole('img', { name: 'QR code with the pairing link' })).toBeFocused();
        await expectNoViolations(page, 'log and QR open');

        await page.getByRole('button', { name: 'Remove', exact: true }).click();
        await expect(page.getByRole('alertdialog')).toBeVisible();
        await expectNoViolations(page, 'remove question');
        await page.getByRole('button', { name: 'Keep it' }).click();

        await fw.stop();
        await expect(page.getByTestId('presence')).toHaveText('Offline');
        await page.getByRole('button', { name: 'On', exact: true }).click();
        await expect(page.getByTestId('outcome')).toBeVisible();
        await expectNoViolations(page, 'lamp offline, command refused');

        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByText('Advanced', { exact: true }).click();
        await expect(page.getByLabel('Lamp key')).toBeVisible();
        await expectNoViolations(page, 'settings form, Advanced open');
        expect(errors).toEqual([]);
      } finally {
        await fw.stop();
        await broker.stop();
      }
    });

    test('install view first screen and the console on a board', async ({ page, servers }) => {
      test.setTimeout(90_000);
      const errors = collectErrors(page);
      const app = await servers.serve(builds.main);
      const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266') });
      try {
        await page.goto(`${app.url}#/install`);
        await expect(page.locator('main h1')).toBeVisible();
        await expectNoViolations(page, 'install, first screen');

        await page.goto(`${app.url}#/console`);
        const view = page.locator('nyala-console-view');
        // The page draws once its language's strings are here: wait for the view, not the load.
        await expect(view.getByRole('button', { name: 'Open the console' })).toBeVisible();
        await expectNoViolations(page, 'console, closed');
        await view.getByRole('button', { name: 'Open the console' }).click();
        await expect(view.getByRole('button', { name: 'Stop program (Ctrl-C)' })).toBeVisible({ timeout: 30_000 });
        await expectNoViolations(page, 'console, open on a board');
        expect(errors).toEqual([]);
      } finally {
        await vb.close();
      }
    });
  });
}

test.describe('in Bahasa Indonesia', () => {
  test.use({ locale: 'id-ID' });

  test('install: a board with MicroPython, its settings form, the firmware step, a file for the wrong chip, the confirmation', async ({ page, servers }) => {
    test.setTimeout(120_000);
    const errors = collectErrors(page);
    const app = await servers.serve(builds.main);
    const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266') });
    const dir = await mkdtemp(path.join(tmpdir(), 'nyala-quality-id-'));
    try {
      await page.goto(`${app.url}#/install`);
      const view = page.locator('nyala-install-view');
      await view.getByRole('button', { name: 'Sambungkan', exact: true }).click();
      await expect(view.getByTestId('micropython-found')).toBeVisible({ timeout: 60_000 });
      await expectNoViolations(page, 'install (id): MicroPython found');

      await view.getByRole('button', { name: 'Langsung unggah' }).click();
      await expect(view.locator('nyala-lamp-settings-form').getByLabel('Nama jaringan (SSID)')).toBeVisible({ timeout: 30_000 });
      await expectNoViolations(page, 'install (id): settings form');

      await page.goto(`${app.url}#/install`);
      await page.reload();
      await view.getByRole('button', { name: 'Sambungkan', exact: true }).click();
      await view.getByRole('button', { name: 'Tetap flash MicroPython' }).click({ timeout: 60_000 });
      await expect(view.getByTestId('drop-zone')).toBeVisible({ timeout: 60_000 });
      await expectNoViolations(page, 'install (id): firmware step');

      const wrong = path.join(dir, 'ESP32_GENERIC-test.bin');
      await writeFile(wrong, testImage('esp32'));
      await view.getByLabel('Pilih berkas .bin').setInputFiles(wrong);
      await view.getByRole('button', { name: 'Flash', exact: true }).click();
      await expect(view.getByTestId('flash-error')).toBeFocused({ timeout: 30_000 });
      await expectNoViolations(page, 'install (id): a file for the wrong chip refused');

      // Again: the routine goes straight back to the firmware step.
      await view.getByRole('button', { name: 'Coba lagi' }).click();
      await expect(view.getByTestId('drop-zone')).toBeVisible({ timeout: 60_000 });
      const right = path.join(dir, 'ESP8266_GENERIC-test.bin');
      await writeFile(right, testImage('esp8266'));
      await view.getByLabel('Pilih berkas .bin').setInputFiles(right);
      await view.getByRole('button', { name: 'Flash', exact: true }).click();
      await expect(view.getByRole('button', { name: 'Ya, flash sekarang' })).toBeVisible({ timeout: 30_000 });
      await expectNoViolations(page, 'install (id): the confirmation');
      expect(errors).toEqual([]);
    } finally {
      await vb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
