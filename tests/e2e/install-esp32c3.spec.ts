// The virtual ESP32-C3 on its own USB-Serial-JTAG (303a:1001) from the page: esptool-js resets it
// into its bootloader by the USB's own signals on the same port, the installer flashes the image
// at 0x0, its hard reset makes the device re-enumerate (the page's port is lost and a new port
// object with the same ids appears, as in Chrome), the installer takes the new port by itself,
// uploads the lamp program and the lamp goes online. Nothing in the test unplugs anything.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImage } from '../board/index.ts';
import { micropythonApp } from '../board/micropython/index.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { WIFI, fillBoardSettings } from './board-form.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });


let dir = '';
test.beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nyala-c3-'));
});
test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('ESP32-C3: flash and upload from the page, the port coming back by itself after the reset', async ({ page, servers }) => {
  test.setTimeout(240_000);
  const broker = new TestBroker();
  await broker.start();
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, {
    c3: { chip: 'esp32c3', flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI] },
  });
  const b = vb.boards.c3!;
  const first = b.port;
  try {
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('chip')).toContainText('ESP32-C3', { timeout: 60_000 });
    const image = path.join(dir, 'ESP32_GENERIC_C3-test.bin');
    await writeFile(image, testImage('esp32c3'));
    await view.getByLabel('Choose a .bin file').setInputFiles(image);
    await view.getByRole('button', { name: 'Flash', exact: true }).click();
    await view.getByRole('button', { name: 'Yes, flash it' }).click();

    // The board re-enumerated by itself; the installer found the new port without asking.
    await expect(view.getByText('MicroPython is on the board')).toBeVisible({ timeout: 120_000 });
    await expect(view.getByTestId('choose-port-again')).toHaveCount(0);
    expect(b.port).not.toBe(first);
    expect(first.connected).toBe(false);
    expect(Buffer.from(b.flash.read(0, 0x1000)).equals(Buffer.from(testImage('esp32c3').subarray(0, 0x1000)))).toBe(true);
    // The page holds the new port object only (Chrome lists a re-enumerated device once).
    expect(await page.evaluate(async () => (await (navigator as unknown as { serial: { getPorts(): Promise<unknown[]> } }).serial.getPorts()).length)).toBe(1);

    await view.getByRole('button', { name: 'Next: Wi-Fi and broker settings' }).click();
    const form = await fillBoardSettings(view, broker);
    await form.getByRole('button', { name: 'Upload' }).click();
    await expect(view.locator('nyala-upload-panel').getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
  } finally {
    await vb.close();
    await broker.stop();
  }
});
