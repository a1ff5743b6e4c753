// `npm start` as a newcomer meets it: the dev server with the local broker and the virtual boards.
// Pick the virtual ESP8266, flash the built-in image, upload with the prefilled settings (local
// broker, demo Wi-Fi), switch the lamp on and see the drawn board's LED light up.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { root } from './builds.ts';
import { expect, freePort, test } from './fixtures.ts';

async function startApp(): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!/Ctrl-C stops everything/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')]);
  }
  return { url: `http://localhost:${port}/`, child, output: () => out };
}

test('npm start: virtual board, built-in image, prefilled settings, local broker, the LED lights', async ({ page }) => {
  test.setTimeout(300_000);
  const app = await startApp();
  try {
    await page.goto(`${app.url}#/install`, { waitUntil: 'domcontentloaded' });
    const view = page.locator('nyala-install-view');
    await view.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Virtual board ESP8266' }).click();
    await expect(view.getByTestId('chip')).toHaveText('ESP8266EX', { timeout: 60_000 });
    // The demo's generated image is offered as the built-in firmware, already chosen.
    await expect(view.getByRole('radio', { name: /nyala-demo-esp8266\.bin/ })).toBeChecked();
    await view.getByRole('button', { name: 'Flash', exact: true }).click();
    await view.getByRole('button', { name: 'Yes, flash it' }).click();
    await expect(view.getByText('MicroPython is on the board')).toBeVisible({ timeout: 180_000 });
    await view.getByRole('button', { name: 'Next: Wi-Fi and broker settings' }).click();

    const form = view.locator('nyala-lamp-settings-form');
    await expect(form.getByLabel('Network name (SSID)')).toHaveValue('Nyala-Demo');
    await expect(form.getByRole('combobox', { name: 'Broker' })).toHaveValue('local');
    await form.getByRole('button', { name: 'Upload' }).click();
    const panel = view.locator('nyala-upload-panel');
    await expect(panel.getByTestId('lamp-online')).toBeVisible({ timeout: 120_000 });
    await panel.getByRole('link', { name: 'Open the remote' }).click();

    const led = page.getByTestId('virtual-boards').getByRole('img', { name: /Virtual board ESP8266 LED/ });
    await expect(led).toHaveAttribute('data-on', 'false');
    await page.getByRole('button', { name: 'On', exact: true }).click();
    await expect(page.getByTestId('last-reply')).toContainText('saya hidup', { timeout: 30_000 });
    await expect(led).toHaveAttribute('data-on', 'true');
    await page.getByRole('button', { name: 'Off', exact: true }).click();
    await expect(led).toHaveAttribute('data-on', 'false', { timeout: 30_000 });
  } finally {
    // Ctrl-C stops all of it: the process group exits on SIGINT.
    process.kill(-app.child.pid!, 'SIGINT');
    const [code] = (await Promise.race([once(app.child, 'exit'), new Promise((r) => setTimeout(() => r([null]), 20_000))])) as [number | null];
    expect(code, app.output()).toBe(0);
  }
});
