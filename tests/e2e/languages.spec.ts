// One language at a time (src/i18n/index.ts, src/ui/locale.ts): a phone downloads the strings of
// the language it shows, neither the page nor the service worker's precache fetches the other,
// the app opens offline in the language it was shown in, and a switch to a language this device
// never fetched, while offline, says so and leaves the page as it was.
import type { Page } from '@playwright/test';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';

const heading = (page: Page) => page.locator('main > *').locator('h1');
const langChunk = /\/assets\/(en|id)-[^/]+\.js$/;

test.use({ locale: 'en-US' });

test('only the shown language is downloaded; offline it opens in it, and a never-fetched one says it cannot come', async ({ page, servers }) => {
  const app = await servers.serve(builds.main);
  const fetched = new Set<string>();
  // On the context: the service worker's precache requests are reported there.
  page.context().on('request', (r) => {
    const m = langChunk.exec(new URL(r.url()).pathname);
    if (m) fetched.add(m[1]!);
  });
  await page.goto(`${app.url}#/remote`);
  await expect(heading(page)).toHaveText('Remote');
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    if (!reg.active) throw new Error('no active service worker');
  });
  // The page keeps its language where the worker looks for assets.
  await expect
    .poll(() => page.evaluate(async () => (await (await caches.open('nyala-installer')).keys()).map((r) => new URL(r.url).pathname)))
    .toContainEqual(expect.stringMatching(/\/assets\/en-[^/]+\.js$/));
  expect([...fetched]).toEqual(['en']);

  await app.stop();
  await page.reload();
  await expect(heading(page)).toHaveText('Remote');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('id');
  await expect(page.getByRole('status').filter({ hasText: 'Bahasa Indonesia is not on this device yet' })).toBeVisible();
  await expect(heading(page)).toHaveText('Remote');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('combobox', { name: 'Language' })).toHaveValue('en');
  expect(await page.evaluate(() => localStorage.getItem('nyala.lang'))).toBe('en');
});
