import type { Page } from '@playwright/test';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';

const heading = (page: Page) => page.locator('main > *').locator('h1');

test.describe('the app shell', () => {
  test.use({ locale: 'en-US' });

  test('renders each view and follows the URL hash', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/remote`);
    await expect(heading(page)).toHaveText('Remote');
    await expect(page.getByRole('link', { name: 'Remote' })).toHaveAttribute('aria-current', 'page');

    await page.goto(`${app.url}#/console`);
    await expect(heading(page)).toHaveText('Serial console');
    await page.evaluate(() => (location.hash = '#/install'));
    await expect(heading(page)).toHaveText('Install MicroPython and the lamp program');
    await expect(page.getByRole('link', { name: 'Install' })).toHaveAttribute('aria-current', 'page');

    // A hash we don't know falls back to the default view and says so.
    await page.goto(`${app.url}#/nowhere`);
    await expect(page.getByRole('status').filter({ hasText: 'does not exist' })).toBeVisible();
    await expect(heading(page)).toHaveText('Install MicroPython and the lamp program');
  });

  test('switches views from the keyboard and moves focus to the new view', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(app.url);
    await expect(heading(page)).toHaveText('Install MicroPython and the lamp program');
    const remoteLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Remote' });
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await remoteLink.evaluate((el) => el.matches(':focus'));
    }
    expect(reached, 'Tab reaches the Remote link').toBe(true);
    await page.keyboard.press('Enter');
    await expect(heading(page)).toHaveText('Remote');
    expect(page.url()).toContain('#/remote');
    await expect(heading(page)).toBeFocused();
  });

  test('has landmarks, a labelled navigation and a skip link', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(app.url);
    await expect(page.getByRole('banner')).toBeVisible();
    await expect(page.getByRole('main')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expect(page.getByRole('contentinfo')).toContainText('e2e-a');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(heading(page)).toBeFocused();
  });

  test('fits a 360 px phone screen with the navigation in thumb reach', async ({ browser, servers }) => {
    const app = await servers.serve(builds.main);
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${app.url}#/remote`);
    await expect(heading(page)).toHaveText('Remote');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const name of ['Install', 'Remote', 'Console']) {
      const box = await page.getByRole('navigation').getByRole('link', { name }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.height).toBeGreaterThanOrEqual(48);
      // The lower part of the screen is where a thumb reaches when holding the phone in one hand.
      expect(box!.y).toBeGreaterThan(740 * 0.75);
    }
    await context.close();
  });
});

test.describe('languages', () => {
  test('starts in Indonesian for an Indonesian browser', async ({ browser, servers }) => {
    const app = await servers.serve(builds.main);
    const context = await browser.newContext({ locale: 'id-ID' });
    const page = await context.newPage();
    await page.goto(app.url);
    await expect(heading(page)).toHaveText('Pasang MicroPython dan program lampu');
    await expect(page.locator('html')).toHaveAttribute('lang', 'id');
    await context.close();
  });

  test('the switch changes the visible text and is remembered across reloads', async ({ browser, servers }) => {
    const app = await servers.serve(builds.main);
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${app.url}#/console`);
    await expect(heading(page)).toHaveText('Serial console');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('id');
    await expect(heading(page)).toHaveText('Konsol serial');
    await expect(page.getByRole('navigation').getByRole('link', { name: 'Pasang' })).toBeVisible();
    await page.reload();
    await expect(heading(page)).toHaveText('Konsol serial');
    await page.getByRole('combobox', { name: 'Bahasa' }).selectOption('en');
    await page.reload();
    await expect(heading(page)).toHaveText('Serial console');
    await context.close();
  });
});

test.describe('without Web Serial', () => {
  test.use({ locale: 'en-US' });

  test('the installer says which browsers work and points to the remote', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    // Firefox, Safari and phone browsers have no navigator.serial.
    await page.addInitScript(() => {
      delete (Navigator.prototype as unknown as Record<string, unknown>).serial;
    });
    await page.goto(app.url);
    // With no way to flash, the app opens on the remote.
    await expect(heading(page)).toHaveText('Remote');
    await page.goto(`${app.url}#/install`);
    const note = page.locator('main > *').getByTestId('no-serial');
    await expect(note).toContainText('Chrome, Edge and Opera');
    // Chromium has WebUSB (as Android Chrome does): the installer says which boards still work
    // over USB-OTG, and still offers Connect.
    expect(await page.evaluate(() => 'usb' in navigator)).toBe(true);
    await expect(note.getByTestId('usb-otg')).toContainText('CH340');
    await expect(page.locator('nyala-install-view').getByRole('button', { name: 'Connect' })).toBeVisible();
    await note.getByRole('link', { name: 'Open the remote' }).click();
    await expect(heading(page)).toHaveText('Remote');
  });

  test('with Web Serial the installer shows no such note', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(app.url);
    expect(await page.evaluate(() => 'serial' in navigator)).toBe(true);
    await expect(heading(page)).toHaveText('Install MicroPython and the lamp program');
    await expect(page.locator('main > *').getByTestId('no-serial')).toHaveCount(0);
  });
});
