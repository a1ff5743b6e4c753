// Under `npm start` only: the drawing of the virtual boards covers no control, and a pairing link
// made on a localhost page says that a real phone cannot open it. (The LED lighting with the lamp
// is npm-start.spec.ts's journey.)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { root } from './builds.ts';
import { expect, freePort, test } from './fixtures.ts';

async function startApp(): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: { ...process.env, PORT: String(port) }, detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // Waits for the line start.ts prints once everything is up; the test's own timeout bounds it.
  while (!/Ctrl-C stops everything/.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')]);
  }
  return { url: `http://localhost:${port}/`, child, output: () => out };
}

test.use({ locale: 'en-US' });

test('npm start: the virtual boards are drawn above the page, never over a control; a localhost pairing link says a phone cannot reach it', async ({ page }) => {
  test.setTimeout(180_000);
  const app = await startApp();
  try {
    for (const viewport of [{ width: 1100, height: 800 }, { width: 360, height: 740 }]) {
      await page.setViewportSize(viewport);
      await page.goto(`${app.url}#/remote`, { waitUntil: 'domcontentloaded' });
      const strip = page.getByTestId('virtual-boards');
      await expect(strip.getByRole('img', { name: /Virtual board ESP8266 LED/ })).toBeVisible();
      const box = await strip.boundingBox();
      const header = await page.locator('nyala-app header').boundingBox();
      if (!box || !header) throw new Error('no layout');
      // In the flow, above the app's header: nothing of the app is under it.
      expect(box.y + box.height).toBeLessThanOrEqual(header.y + 0.5);
      expect(await strip.evaluate((el) => getComputedStyle(el).position)).toBe('static');
    }

    // A lamp on the local broker (the form offers it under npm start), then its pairing QR.
    await page.getByRole('button', { name: 'Add a lamp' }).click();
    await page.getByRole('combobox', { name: 'Broker' }).selectOption('local');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Pair a phone').click();
    await expect(page.getByTestId('pair-localhost')).toContainText('a phone cannot reach');
  } finally {
    process.kill(-app.child.pid!, 'SIGINT');
    await Promise.race([once(app.child, 'exit'), new Promise((r) => setTimeout(r, 20_000))]);
  }
});
