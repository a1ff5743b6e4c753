// The page refuses a tampered built-in image before anything is erased: the host serves a
// manifest naming the official image and, in its place, bytes that differ from it. The board's
// flash must be exactly as it was.
import { createHash } from 'node:crypto';
import { testImage } from '../board/index.ts';
import { CATALOG, MICROPYTHON_VERSION } from '../../src/device/firmware-catalog.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US', serviceWorkers: 'block' });

test('a tampered built-in image is refused before erase; the board keeps what it had', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const app = await servers.serve(builds.main);
  const entry = CATALOG.find((e) => e.id === 'ESP8266_GENERIC')!;
  const official = testImage('esp8266');
  const tampered = official.slice();
  tampered[official.length - 100] = tampered[official.length - 100]! ^ 0xff;
  // What the board held before: something that is not the image, so an erase would show.
  const before = new Uint8Array(4 * 1024 * 1024).fill(0x5a);
  before.set(testImage('esp8266'), 0);
  before.fill(0xa5, official.length, official.length + 4096);

  const manifest = {
    version: MICROPYTHON_VERSION,
    images: [{ ...entry, size: official.length, sha256: createHash('sha256').update(official).digest('hex') }],
  };
  let imageServed = false;
  await page.route('**/firmware/manifest.json', (r) => r.fulfill({ contentType: 'application/json', body: JSON.stringify(manifest) }));
  await page.route(`**/firmware/${entry.file}`, (r) => {
    imageServed = true;
    return r.fulfill({ contentType: 'application/octet-stream', body: Buffer.from(tampered) });
  });
  const vb = await attachBoards(page, { esp8266: { chip: 'esp8266', flashSize: '4MB', timeScale: 0.05, flashImage: before } });
  try {
    await page.goto(`${app.url}#/install`);
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
    await expect(view.getByRole('radio', { name: new RegExp(entry.file.replace(/\./g, '\\.')) })).toBeChecked();
    await view.getByRole('button', { name: 'Flash', exact: true }).click();

    // The image is fetched and checked before the erase is even asked about.
    const error = view.getByTestId('flash-error');
    await expect(error).toHaveAttribute('data-code', 'corrupt-download', { timeout: 60_000 });
    await expect(view.getByRole('alertdialog')).toHaveCount(0);
    await expect(error).toContainText('checksum does not match');
    expect(imageServed).toBe(true);
    const b = vb.boards.esp8266!;
    const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');
    expect(md5(b.flash.read(0, before.length))).toBe(md5(before));
  } finally {
    await vb.close();
  }
});
