// The console view on a virtual board running real MicroPython: type at the REPL, stop a
// running program with the button, restart the board.
import { micropythonBoardOptions } from '../unit/device/micropython-board.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });

test('the REPL answers in the terminal; Ctrl-C and restart buttons work', async ({ page, servers }) => {
  test.setTimeout(90_000);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266') });
  try {
    await page.goto(`${app.url}#/console`);
    const view = page.locator('nyala-console-view');
    await view.getByRole('button', { name: 'Open the console' }).click();
    const screen = view.locator('.xterm-rows');
    await expect(view.getByRole('button', { name: 'Stop program (Ctrl-C)' })).toBeVisible();
    await view.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('print(6*7)\r');
    await expect(screen).toContainText('42');

    await page.keyboard.type("while True: print('tick'); time.sleep(0.2)\r\r".replace('time.sleep', '__import__("time").sleep'));
    // A row that is the program's output, not the echo of the typed line (which says 'tick' too).
    const ticks = screen.locator(':scope > div').filter({ hasText: /^tick\s*$/ });
    await expect(ticks.first()).toBeVisible();
    await view.getByRole('button', { name: 'Stop program (Ctrl-C)' }).click();
    await expect(screen).toContainText('KeyboardInterrupt');
    // Stopped: the prompt is back after the traceback and no tick follows it.
    await expect(screen.locator(':scope > div').filter({ hasText: /KeyboardInterrupt/ }).locator('xpath=following-sibling::div[1]')).toHaveText(/^>>>/);

    await view.getByRole('button', { name: 'Clear' }).click();
    await expect(screen).not.toContainText('MicroPython v1.27.0');
    await view.getByRole('button', { name: 'Restart board' }).click();
    await expect(screen).toContainText('MicroPython v1.27.0', { timeout: 20_000 });
    await view.getByRole('button', { name: 'Close' }).click();
    await expect(view.getByRole('button', { name: 'Open the console' })).toBeVisible();
  } finally {
    await vb.close();
  }
});

test('a pasted program reaches the board whole: one line at a time, within its receive buffer', async ({ page, context, servers }) => {
  test.setTimeout(90_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266') });
  try {
    await page.goto(`${app.url}#/console`);
    const view = page.locator('nyala-console-view');
    await view.getByRole('button', { name: 'Open the console' }).click();
    const screen = view.locator('.xterm-rows');
    await view.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('\r');
    await expect(screen).toContainText('>>>');
    // The first line keeps the board busy; sent whole, what follows would overflow its 255 bytes.
    const lines = ["__import__('time').sleep(0.5)", ...Array.from({ length: 40 }, (_, i) => `v${i} = ${i}`), "print('count', len([k for k in globals() if k[0] == 'v']))"];
    await page.evaluate((text) => navigator.clipboard.writeText(text), lines.join('\n') + '\n');
    await view.getByRole('button', { name: 'Paste' }).click();
    await expect(screen.locator(':scope > div').filter({ hasText: /^count 40\s*$/ })).toHaveCount(1, { timeout: 30_000 });
  } finally {
    await vb.close();
  }
});
