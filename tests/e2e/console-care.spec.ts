// What issue 17 asks of the console that a person sees: it names the board it is on; its text
// survives a trip to another view; the ESP8266 ROM's 74880-baud lines, garbage at 115200, are
// replaced by one note; "Stop program" says the lamp goes offline while stopped. On a virtual
// board running real MicroPython (its UART garbles text sent at another baud, as a real one).
import { micropythonBoardOptions } from '../unit/device/micropython-board.ts';
import { builds } from './builds.ts';
import { expect, test } from './fixtures.ts';
import { attachBoards } from './virtual-board.ts';

test.use({ locale: 'en-US' });

test('the console names its board, keeps its text across views, hides boot garbage, and warns before Stop', async ({ page, servers }) => {
  test.setTimeout(120_000);
  const app = await servers.serve(builds.main);
  const vb = await attachBoards(page, { mpy: await micropythonBoardOptions('esp8266') });
  try {
    await page.goto(`${app.url}#/console`);
    const view = page.locator('nyala-console-view');
    await expect(view.getByTestId('console-board')).toContainText('No board connected yet');
    await view.getByRole('button', { name: 'Open the console' }).click();
    await expect(view.getByTestId('console-board')).toHaveText(/^On: /);
    const stop = view.getByRole('button', { name: 'Stop program (Ctrl-C)' });
    await expect(stop).toHaveAccessibleDescription(/the lamp goes offline until the board restarts/);

    const screen = view.locator('.xterm-rows');
    await view.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('print(6*7)\r');
    await expect(screen).toContainText('42');
    await stop.click();
    await expect(view.getByRole('status')).toContainText('Program stopped: the lamp is offline');

    // To the remote and back: the text is still there, before the port is opened again.
    await page.getByRole('navigation').getByRole('link', { name: 'Remote' }).click();
    await expect(page.locator('nyala-remote-view')).toBeVisible();
    await page.getByRole('navigation').getByRole('link', { name: 'Console' }).click();
    await expect(view.getByRole('button', { name: 'Open the console' })).toBeVisible();
    await expect(view.locator('.xterm-rows')).toContainText('print(6*7)');
    await expect(view.locator('.xterm-rows')).toContainText('42');

    // A restart: the ROM's report at 74880 baud becomes one note; MicroPython's banner follows.
    await view.getByRole('button', { name: 'Open the console' }).click();
    await view.getByRole('button', { name: 'Restart board' }).click();
    await expect(view.locator('.xterm-rows')).toContainText('MicroPython v1.27.0', { timeout: 30_000 });
    await expect(view.locator('.xterm-rows')).toContainText('boot messages sent at 74880 baud hidden');
    await expect(view.locator('.xterm-rows')).not.toContainText('\uFFFD');
  } finally {
    await vb.close();
  }
});
