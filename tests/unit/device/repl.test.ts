// The REPL protocol against real MicroPython on the virtual board: interrupting what runs, the
// raw REPL's framing, raw-paste and its fallback, soft reset, and the errors of each step.
import { describe, expect, it } from 'vitest';
import { Repl, ReplError, ReplExecError } from '../../../src/device/repl.ts';
import { testBoard } from './repl-board.ts';

const SLEEPY_MAIN = 'import time\nn = 0\nwhile True:\n    n += 1\n    time.sleep_ms(200)\n';
const CHATTY_MAIN = 'n = 0\nwhile True:\n    n += 1\n    print("tick", n)\n';

async function openRepl(opts: Parameters<typeof testBoard>[0] = {}): Promise<{ repl: Repl; tb: ReturnType<typeof testBoard> }> {
  const tb = testBoard(opts);
  const repl = await Repl.open(tb.board.port);
  return { repl, tb };
}

describe('Repl', () => {
  it('enters the raw REPL, runs code and returns its stdout', async () => {
    const { repl } = await openRepl();
    try {
      await repl.enterRawRepl();
      expect(await repl.exec('print(6 * 7)\nprint("é")')).toBe('42\r\né\r\n');
      expect(repl.supportsRawPaste).toBe(true);
      // Globals live on between execs until a soft reset.
      await repl.exec('x = 5');
      expect(await repl.exec('print(x)')).toBe('5\r\n');
      await repl.softReset();
      await expect(repl.exec('print(x)')).rejects.toThrow(/NameError/);
    } finally {
      await repl.close();
    }
  });

  it('a traceback from the board is a ReplExecError with what was printed before it', async () => {
    const { repl } = await openRepl();
    try {
      await repl.enterRawRepl();
      const err = await repl.exec('print("before")\nraise ValueError("bad")').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplExecError);
      expect((err as ReplExecError).exception).toBe('ValueError: bad');
      expect((err as ReplExecError).stdout).toBe('before\r\n');
      expect((err as ReplExecError).traceback).toContain('line 2');
      // The REPL is still usable after an error.
      expect(await repl.exec('print(1)')).toBe('1\r\n');
    } finally {
      await repl.close();
    }
  });

  it.each([
    ['sleeps in a loop', SLEEPY_MAIN],
    ['prints nonstop', CHATTY_MAIN],
  ])('interrupts a main.py that %s', async (_name, main) => {
    const { repl } = await openRepl({ files: { 'main.py': main } });
    try {
      await repl.enterRawRepl();
      // The program was running (n counted up) and is stopped now (n stays).
      const n1 = Number(await repl.exec('print(n)'));
      expect(n1).toBeGreaterThan(0);
      expect(Number(await repl.exec('print(n)'))).toBe(n1);
    } finally {
      await repl.close();
    }
  });

  it('copes with an adapter that resets the board on open: ROM noise, banner, then main.py', async () => {
    const tb = testBoard({ files: { 'main.py': SLEEPY_MAIN } });
    let heard = '';
    const repl = await Repl.open(tb.board.port, { onReceive: (b) => (heard += Buffer.from(b).toString('latin1')) });
    try {
      await repl.enterRawRepl();
      heard = '';
      // What DTR/RTS do on some adapters when the port opens: EN low, then high.
      await tb.board.port.setSignals({ dataTerminalReady: false, requestToSend: true });
      await tb.board.port.setSignals({ dataTerminalReady: false, requestToSend: false });
      await repl.enterRawRepl();
      // It really went through a fresh boot, and the raw REPL answers after it.
      expect(heard).toContain('MicroPython v1.27.0');
      expect(await repl.exec('print(6 * 7)')).toBe('42\r\n');
    } finally {
      await repl.close();
    }
  });

  it('sends a large script through raw-paste with flow control', async () => {
    const { repl } = await openRepl();
    try {
      await repl.enterRawRepl();
      const lines = ['s = 0'];
      for (let i = 0; i < 800; i++) lines.push(`s += ${i}  # ${'pad'.repeat(5)}`);
      lines.push('print(s)');
      const code = lines.join('\n');
      expect(code.length).toBeGreaterThan(20_000);
      let sent = 0;
      expect(await repl.exec(code, { onSent: (n) => (sent = n) })).toBe(`${(799 * 800) / 2}\r\n`);
      expect(sent).toBe(code.length);
    } finally {
      await repl.close();
    }
  });

  it('falls back to the plain raw REPL when the firmware answers R\\x00', async () => {
    const { repl } = await openRepl({ rawPaste: false });
    try {
      await repl.enterRawRepl();
      const code = `data = b"${'ab'.repeat(1500)}"\nprint(len(data))`;
      expect(await repl.exec(code)).toBe('3000\r\n');
      expect(repl.supportsRawPaste).toBe(false);
      expect(await repl.exec('print("again")')).toBe('again\r\n');
    } finally {
      await repl.close();
    }
  });

  it('the plain raw REPL fallback fits the chip\'s real receive buffer in real time: nothing lost', { timeout: 30_000 }, async () => {
    // No flow control: the board must take the bytes as they come. It does, at the raw prompt;
    // 255 bytes is all an ESP8266 holds while it is busy (the board's model), so a host that
    // sent while the board ran code would lose bytes: rxOverflow counts them.
    const { repl, tb } = await openRepl({ rawPaste: false, timeScale: 1 });
    try {
      await repl.enterRawRepl();
      const code = `data = b"${'ab'.repeat(3000)}"\nprint(len(data))`;
      expect(await repl.exec(code)).toBe('6000\r\n');
      expect(tb.mpy.current?.rxOverflow).toBe(0);
    } finally {
      await repl.close();
    }
  });

  it('runMain leaves the raw REPL and soft-resets so main.py runs', async () => {
    const { repl } = await openRepl({ files: { 'main.py': 'print("main here")\n' } });
    try {
      await repl.enterRawRepl();
      await repl.runMain();
      let line = '';
      for (let i = 0; i < 10 && line !== 'main here'; i++) line = await repl.readLine(5000);
      expect(line).toBe('main here');
    } finally {
      await repl.close();
    }
  });

  it('says no-repl in bounded time when nothing answers like MicroPython', async () => {
    const tb = testBoard();
    // The echo of a dead REPL: a board in its bootloader answers nothing REPL-like.
    tb.board.reset({ download: true });
    const repl = await Repl.open(tb.board.port);
    try {
      const started = Date.now();
      const err = await repl.enterRawRepl(1500).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplError);
      expect((err as ReplError).code).toBe('no-repl');
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await repl.close();
    }
  });

  it('an unplugged board is an unplugged error, not a hang', async () => {
    const { repl, tb } = await openRepl();
    try {
      await repl.enterRawRepl();
      const pending = repl.exec('import time\ntime.sleep(30)', { timeoutMs: 20_000 });
      setTimeout(() => tb.board.faults.unplug(), 100);
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplError);
      expect((err as ReplError).code).toBe('unplugged');
    } finally {
      await repl.close();
    }
  });
});
