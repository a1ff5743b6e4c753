// The Install view's words follow what the browser has, by feature: navigator.serial (desktop
// Chrome/Edge/Opera, Firefox 151+), navigator.serial and navigator.usb together (Chrome on Android
// 148+, whose Web Serial does not see every adapter), only navigator.usb (older Chrome on
// Android), neither (Safari, iPhone). Chromium has both, so each page takes away what it lacks.
import type { Page } from '@playwright/test';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';

test.use({ locale: 'en-US' });

async function withOnly(page: Page, keep: { serial: boolean; usb: boolean }): Promise<void> {
  await page.addInitScript((k) => {
    const proto = Navigator.prototype as unknown as Record<string, unknown>;
    if (!k.serial) delete proto.serial;
    if (!k.usb) delete proto.usb;
  }, keep);
}

const view = (page: Page) => page.locator('nyala-install-view');

test('with navigator.serial: no warning, Connect, and what the browser will ask', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await withOnly(page, { serial: true, usb: false });
  await page.goto(`${app.url}#/install`);
  expect(await page.evaluate(() => ['serial' in navigator, 'usb' in navigator])).toEqual([true, false]);
  await expect(view(page).getByRole('button', { name: 'Connect', exact: true })).toBeVisible();
  await expect(view(page).getByTestId('serial-ask')).toContainText('the browser asks which port Nyala may use');
  await expect(view(page).getByTestId('serial-ask')).toContainText('Firefox');
  await expect(view(page).getByTestId('no-serial')).toHaveCount(0);
  await expect(view(page).getByTestId('usb-fallback')).toHaveCount(0);
});

test('with navigator.serial and navigator.usb: the WebUSB way stays for adapters Web Serial does not see', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  // Record which API a click reaches; the chooser is then dismissed, as a person would.
  await page.addInitScript(() => {
    const w = window as unknown as { reached: string[] };
    w.reached = [];
    const dismissed = () => Promise.reject(new DOMException('No device selected.', 'NotFoundError'));
    Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => ({ requestDevice: () => (w.reached.push('usb'), dismissed()) }) });
    Object.defineProperty(Navigator.prototype, 'serial', { configurable: true, get: () => ({ requestPort: () => (w.reached.push('serial'), dismissed()), getPorts: async () => [] }) });
  });
  await page.goto(`${app.url}#/install`);
  await expect(view(page).getByTestId('serial-ask')).toBeVisible();
  const fallback = view(page).getByTestId('usb-fallback');
  await expect(fallback).toContainText('On Android, Web Serial does not see every USB adapter');
  await expect(fallback).toContainText('CH340');
  await fallback.getByRole('button', { name: 'Use WebUSB instead' }).click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { reached: string[] }).reached)).toEqual(['usb']);
});

test('with only navigator.usb: which boards still work over USB-OTG, Connect offered', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await withOnly(page, { serial: false, usb: true });
  await page.goto(`${app.url}#/install`);
  const note = view(page).getByTestId('no-serial');
  await expect(note).toHaveAttribute('data-reach', 'usb');
  await expect(note.getByRole('heading')).toHaveText('Flashing over WebUSB');
  await expect(note.getByTestId('usb-otg')).toContainText('CH340');
  await expect(note).toContainText('Firefox (151+)');
  await expect(note).toContainText('Chrome on Android has it from 148 for some adapters');
  await expect(view(page).getByRole('button', { name: 'Connect', exact: true })).toBeVisible();
  await expect(view(page).getByTestId('serial-ask')).toHaveCount(0);
});

test('with neither: which browsers can flash, no Connect, the way to the remote', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await withOnly(page, { serial: false, usb: false });
  await page.goto(`${app.url}#/install`);
  const note = view(page).getByTestId('no-serial');
  await expect(note).toHaveAttribute('data-reach', 'none');
  await expect(note).toContainText('this browser has neither');
  await expect(note).toContainText('desktop Firefox (151 or newer, after you allow it)');
  await expect(note).toContainText('Chrome on Android (148 or newer, for some USB adapters)');
  await expect(note).toContainText('Safari');
  await expect(view(page).getByRole('button', { name: 'Connect', exact: true })).toHaveCount(0);
  await note.getByRole('link', { name: 'Open the remote' }).click();
  await expect(page.locator('main > *').locator('h1')).toHaveText('Remote');
});

test('the same words in Bahasa Indonesia', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  await withOnly(page, { serial: false, usb: false });
  await page.addInitScript(() => localStorage.setItem('nyala.lang', 'id'));
  await page.goto(`${app.url}#/install`);
  await expect(view(page).getByTestId('no-serial')).toContainText('Firefox desktop (151 atau lebih baru');
});
