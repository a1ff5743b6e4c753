// `npm start` as a newcomer meets it: the dev server with the local broker and the virtual boards.
// Pick the virtual ESP8266, flash the built-in image, upload with the prefilled settings (local
// broker, demo Wi-Fi), switch the lamp on and see the drawn board's LED light up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

test('npm start: virtual board, built-in image, prefilled settings, local broker, the LED lights', async ({ page, browser }) => {
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

    // Another page (the phone, in a browser of its own) draws the same board, and its LED follows
    // the lamp when the laptop switches it.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const phonePage = await phone.newPage();
      await phonePage.goto(`${app.url}#/remote`, { waitUntil: 'domcontentloaded' });
      const phoneLed = phonePage.getByTestId('virtual-boards').getByRole('img', { name: /Virtual board ESP8266 LED/ });
      await expect(phoneLed).toHaveAttribute('data-on', 'false', { timeout: 30_000 });
      await page.getByRole('button', { name: 'On', exact: true }).click();
      await expect(phoneLed).toHaveAttribute('data-on', 'true', { timeout: 30_000 });
    } finally {
      await phone.close();
    }
  } finally {
    // Ctrl-C stops all of it: the process group exits on SIGINT.
    process.kill(-app.child.pid!, 'SIGINT');
    const [code] = (await Promise.race([once(app.child, 'exit'), new Promise((r) => setTimeout(() => r([null]), 20_000))])) as [number | null];
    expect(code, app.output()).toBe(0);
  }
});

/** Whether any process of the group `pgid` is still alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a fresh clone: `npm start` installs what it needs, the page answers, Ctrl-C leaves nothing running', async ({ page }) => {
  // npm ci from the npm cache (offline-preferred) plus the dev server's first start; generous for
  // a loaded 2-core machine, and still an upper bound a newcomer would notice.
  const BOUND_MS = 240_000;
  test.setTimeout(BOUND_MS + 60_000);
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-clone-'));
  const clone = path.join(dir, 'nyala');
  let child: ChildProcess | undefined;
  try {
    // What `git clone` gives a newcomer: the committed HEAD, no node_modules, nothing built.
    const git = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { encoding: 'utf8' });
    expect(git.status, git.stderr).toBe(0);
    expect(existsSync(path.join(clone, 'node_modules'))).toBe(false);

    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    // Whatever npm run this test set for its own package must not leak into the clone's npm.
    for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
    // Vite's build (other tests in this worker) sets NODE_ENV=production in this process; a
    // newcomer's shell may have it too, and the set-up must still install the dev dependencies.
    env.NODE_ENV = 'production';
    const started = Date.now();
    child = spawn('npm', ['start'], { cwd: clone, env, detached: true });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    let installedAt = 0;
    while (!/Ctrl-C stops everything/.test(out)) {
      if (!installedAt && /added \d+ packages/.test(out)) installedAt = Date.now();
      if (Date.now() - started > BOUND_MS || child.exitCode !== null) throw new Error(`npm start on a fresh clone did not come up:\n${out}`);
      await Promise.race([once(child.stdout!, 'data'), once(child.stderr!, 'data'), once(child, 'exit')]);
    }
    expect(out, 'npm start ran npm ci itself').toMatch(/nyala setup: .*npm.* ci --prefer-offline/);

    await page.goto(`http://localhost:${port}/#/install`, { waitUntil: 'domcontentloaded' });
    await expect(page.locator('main > *').locator('h1')).toHaveText(/Install MicroPython|Pasang MicroPython/, { timeout: 60_000 });
    const answered = Date.now();
    const note = `npm ci ${installedAt ? ((installedAt - started) / 1000).toFixed(1) : '?'} s; page answering ${((answered - started) / 1000).toFixed(1)} s after \`npm start\``;
    test.info().annotations.push({ type: 'timing', description: note });
    console.log(`fresh clone: ${note}`);
    expect(answered - started).toBeLessThan(BOUND_MS);

    // Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
    const pgid = child.pid!;
    const exited = once(child, 'exit');
    process.kill(-pgid, 'SIGINT');
    await exited;
    await expect.poll(() => groupAlive(pgid), { timeout: 30_000, message: `processes of npm start left running:\n${out}` }).toBe(false);
    // Nothing answers on the app's port any more.
    await expect(fetch(`http://localhost:${port}/`)).rejects.toThrow();
  } finally {
    if (child?.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
