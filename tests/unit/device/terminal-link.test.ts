// The console's serial session against a virtual board running real MicroPython.
import { afterEach, describe, expect, it } from 'vitest';
import { createBoard, type Board } from '../../board/index.ts';
import { micropythonBoardOptions } from './micropython-board.ts';
import { BoardPort } from '../../../src/device/port.ts';
import { openTerminal, type TerminalLink } from '../../../src/device/terminal-link.ts';

let board: Board | undefined;
let link: TerminalLink | undefined;
afterEach(async () => {
  await link?.close();
  await board?.close();
  link = undefined;
  board = undefined;
});

function collector() {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  return {
    onData(bytes: Uint8Array) {
      text += new TextDecoder().decode(bytes);
      for (const w of [...waiters]) if (w.re.test(text)) w.resolve();
    },
    get text() {
      return text;
    },
    waitFor(re: RegExp, ms = 20_000): Promise<void> {
      if (re.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(text.slice(-300))}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
  };
}

describe('console session', () => {
  it('types into the friendly REPL, interrupts, soft-resets and hard-resets a MicroPython board', { timeout: 90_000 }, async () => {
    board = createBoard(await micropythonBoardOptions('esp8266'));
    const port = new BoardPort(board.port);
    const out = collector();
    link = await openTerminal(port.take('console'), 115200, (b) => out.onData(b));
    expect(port.heldBy).toBe('console');

    await link.write('\r\n');
    await out.waitFor(/>>> $/);
    await link.write('print(6*7)\r');
    await out.waitFor(/\r\n42\r\n>>> $/);

    // A loop that sleeps is interrupted by Ctrl-C, as on a board.
    await link.write('import time\r');
    await out.waitFor(/>>> $/);
    await link.write("while True: print('tick'); time.sleep(0.1)\r\r");
    await out.waitFor(/tick\r\ntick/);
    await link.write('\x03');
    await out.waitFor(/KeyboardInterrupt/);

    await link.write('\x04');
    await out.waitFor(/MPY: soft reboot/);

    await link.hardReset();
    await out.waitFor(/MicroPython v1\.27\.0[^\n]*ESP8266/);

    await link.close();
    link = undefined;
    expect(port.heldBy).toBeNull();
    expect(board.port.readable).toBeNull();
  });

  it('ends with "unplugged" when the board goes away, and frees the port', { timeout: 60_000 }, async () => {
    board = createBoard(await micropythonBoardOptions('esp8266'));
    const port = new BoardPort(board.port);
    link = await openTerminal(port.take('console'), 115200, () => undefined);
    board.faults.unplug();
    const end = await link.ended;
    expect(end.reason).toBe('unplugged');
    await link.close();
    link = undefined;
    expect(port.heldBy).toBeNull();
  });
});
