// Raw-paste and soft reset, byte for byte, as MicroPython's own shared/runtime/pyexec.c (v1.27)
// answers them, checked against BOTH sides written here: the virtual board (worker.mjs) and the
// host (src/device/repl.ts). The board and repl.ts were written by the same hands, so a shared
// misreading would pass every other test; these transcripts come from pyexec.c itself:
//
//   raw REPL, line "\x05A" then Ctrl-A   do_reader_stdin('A'): "R\x01", then mp_reader_new_stdin
//                                         sends the window (MICROPY_REPL_STDIN_BUFFER_MAX 256 / 2 =
//                                         128) as two little-endian bytes and one "\x01": two
//                                         windows are free at the start
//   each 128th byte read                  mp_reader_stdin_readbyte sends "\x01"
//   Ctrl-D                                readbyte sends "\x04" and ends the input
//   after running                          parse_compile_execute, EXEC_FLAG_PRINT_EOF: "\x04" after
//                                         stdout, the traceback if any, "\x04"; the raw REPL then
//                                         prints ">"
//   Ctrl-C instead of Ctrl-D              readbyte sends "\x04" and raises KeyboardInterrupt:
//                                         "\x04", "KeyboardInterrupt: \r\n", "\x04", ">"
//   a command other than 'A'              "R\x00", and the raw REPL prints ">"
//   a parse error before the end          the lexer's close (mp_reader_stdin_close) sends "\x04" at
//                                         once and reads the host's bytes until Ctrl-C/Ctrl-D;
//                                         then "\x04", the traceback, "\x04", ">"
//   Ctrl-D on an empty raw line            "OK", "\r\n", soft reset: ports/esp*/main.c print
//                                         "MPY: soft reboot\r\n" and, still raw, the banner
import { afterEach, describe, expect, it } from 'vitest';
import { createBoard, testImage, type Board } from '../index.ts';
import { createMicroPython } from './index.ts';
import { PortTerminal } from './port-terminal.ts';
import { enterRaw, waitAfter } from './repl-helpers.ts';
import { Repl, ReplExecError } from '../../../src/device/repl.ts';
import type { SerialPortLike } from '../../../src/device/port.ts';

const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n>';
const WINDOW = 128;
const WINDOW_BYTES = String.fromCharCode(WINDOW & 0xff, WINDOW >> 8);

const opened: { board: Board; term: PortTerminal }[] = [];
afterEach(async () => {
  await Promise.all(
    opened.splice(0).map(async ({ board, term }) => {
      await term.close();
      await board.close();
    }),
  );
});

async function rawBoard(rawPaste = true): Promise<PortTerminal> {
  const image = new Uint8Array(4 << 20).fill(0xff);
  image.set(testImage('esp8266'), 0);
  const board = createBoard({ chip: 'esp8266', flashImage: image, app: createMicroPython().app, timeScale: 0.05, rawPaste });
  const term = await PortTerminal.open(board);
  opened.push({ board, term });
  await term.waitFor('>>> ');
  await enterRaw(term);
  return term;
}

/** Exactly `n` bytes the board sends after `from` (waits for them, fails on more). */
async function exactly(b: PortTerminal, from: number, expected: string): Promise<void> {
  await waitAfter(b, from, (s) => s.length >= expected.length, 5000);
  await b.nextOutput(100);
  expect(JSON.stringify(b.text.slice(from))).toBe(JSON.stringify(expected));
}

describe('the virtual board answers raw-paste and soft reset as pyexec.c does', () => {
  it('R\\x01, the window, two windows free, \\x01 per 128 bytes read, \\x04 for the end, then the framed result', async () => {
    const b = await rawBoard();
    let from = b.text.length;
    b.send('\x05A\x01');
    await exactly(b, from, 'R\x01' + WINDOW_BYTES + '\x01');
    // 256 bytes: the two free windows; the board reads them and frees two more.
    const code = `x = ${'1 + '.repeat(55)}1\nprint('sum', x)  #`.padEnd(256, '.');
    expect(code.length).toBe(256);
    from = b.text.length;
    b.send(code);
    await exactly(b, from, '\x01\x01');
    from = b.text.length;
    b.send('\x04');
    await exactly(b, from, '\x04' + 'sum 56\r\n' + '\x04' + '\x04' + '>');
  });

  it('an exception: \\x04, then stdout \\x04, the traceback \\x04 and the prompt', async () => {
    const b = await rawBoard();
    b.send('\x05A\x01');
    await b.waitFor('R\x01' + WINDOW_BYTES + '\x01');
    const from = b.text.length;
    b.send("print('a')\nraise ValueError('b')\x04");
    await exactly(b, from, '\x04' + 'a\r\n' + '\x04' + 'Traceback (most recent call last):\r\n  File "<stdin>", line 2, in <module>\r\nValueError: b\r\n' + '\x04' + '>');
  });

  it('Ctrl-C instead of Ctrl-D: \\x04, then KeyboardInterrupt framed as an exception', async () => {
    const b = await rawBoard();
    b.send('\x05A\x01');
    await b.waitFor('R\x01' + WINDOW_BYTES + '\x01');
    const from = b.text.length;
    b.send("print('never')\x03");
    await exactly(b, from, '\x04' + '\x04' + 'KeyboardInterrupt: \r\n' + '\x04' + '>');
  });

  it('a command other than A: R\\x00 and the raw prompt; firmware without raw-paste answers A the same', async () => {
    let b = await rawBoard();
    let from = b.text.length;
    b.send('\x05B\x01');
    await exactly(b, from, 'R\x00>');
    b = await rawBoard(false);
    from = b.text.length;
    b.send('\x05A\x01');
    await exactly(b, from, 'R\x00>');
  });

  it('Ctrl-D on an empty raw line: OK, a soft reboot, and the raw REPL again', async () => {
    const b = await rawBoard();
    const from = b.text.length;
    b.send('\x04');
    await exactly(b, from, 'OK\r\nMPY: soft reboot\r\n' + RAW_BANNER);
  });
});

// ---- src/device/repl.ts against a board that is nothing but pyexec.c's raw REPL, transcribed. ----

interface Transcript {
  /** every byte the host sent, in order */
  sent: number[];
  /** the most bytes the host ever had in flight beyond what the board had granted */
  overrun: number;
}

/**
 * A port whose far end is pyexec_raw_repl() and do_reader_stdin() as pyexec.c writes them. The
 * code is "run" by `run`, which returns stdout and a traceback; a code starting with `syntax!`
 * is a parse error that the lexer hits after its first 10 bytes.
 */
function pyexecPort(opts: { rawPaste: 'yes' | 'refuse' | 'old'; run: (code: string) => { out: string; err: string } }): { port: SerialPortLike; t: Transcript } {
  const t: Transcript = { sent: [], overrun: 0 };
  let emit: (s: string) => void = () => undefined;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      emit = (s) => c.enqueue(Uint8Array.from(Buffer.from(s, 'latin1')));
    },
  });
  let mode: 'friendly' | 'raw' | 'paste' | 'drain' = 'friendly';
  let line: number[] = [];
  let paste: number[] = [];
  let credit = 0;
  let remain = WINDOW;
  let syntaxAt = -1;
  const finish = (code: string): void => {
    const r = opts.run(code);
    emit(r.out + '\x04' + r.err + '\x04>');
  };
  const byte = (c: number): void => {
    t.sent.push(c);
    if (mode === 'friendly') {
      if (c === 1) {
        mode = 'raw';
        line = [];
        emit('\r\n' + RAW_BANNER);
      }
      return;
    }
    if (mode === 'drain') {
      // mp_reader_stdin_close: read until Ctrl-C or Ctrl-D, then the exception's framing.
      if (c === 3 || c === 4) {
        mode = 'raw';
        emit('\x04' + 'Traceback (most recent call last):\r\n  File "<stdin>", line 1\r\nSyntaxError: invalid syntax\r\n' + '\x04>');
      }
      return;
    }
    if (mode === 'paste') {
      if (c === 4) {
        emit('\x04');
        mode = 'raw';
        finish(Buffer.from(paste).toString('latin1'));
        return;
      }
      if (c === 3) {
        emit('\x04' + '\x04' + 'KeyboardInterrupt: \r\n' + '\x04>');
        mode = 'raw';
        return;
      }
      credit--;
      if (credit < 0) t.overrun = Math.max(t.overrun, -credit);
      paste.push(c);
      if (syntaxAt < 0 && paste.length >= 10 && Buffer.from(paste.slice(0, 7)).toString('latin1') === 'syntax!') {
        syntaxAt = paste.length;
        emit('\x04');
        mode = 'drain';
        return;
      }
      if (--remain === 0) {
        remain = WINDOW;
        credit += WINDOW;
        emit('\x01');
      }
      return;
    }
    // raw
    if (c === 1) {
      if (line.length === 2 && line[0] === 5) {
        if (line[1] === 0x41 && opts.rawPaste === 'yes') {
          emit('R\x01' + WINDOW_BYTES + '\x01');
          mode = 'paste';
          paste = [];
          credit = 2 * WINDOW;
          remain = WINDOW;
          syntaxAt = -1;
        } else if (opts.rawPaste !== 'old') {
          // do_reader_stdin with another command (or a build that refuses): R\x00, then ">".
          emit('R\x00>');
        } else {
          // Firmware older than raw-paste: Ctrl-A is "raw REPL again".
          emit(RAW_BANNER);
        }
        line = [];
        return;
      }
      line = [];
      emit(RAW_BANNER);
    } else if (c === 2) {
      mode = 'friendly';
      emit('\r\n>>> ');
    } else if (c === 3) {
      line = [];
    } else if (c === 4) {
      emit('OK');
      if (line.length === 0) {
        emit('\r\nMPY: soft reboot\r\n' + RAW_BANNER);
        return;
      }
      const code = Buffer.from(line).toString('latin1');
      line = [];
      const r = opts.run(code);
      emit(r.out + '\x04' + r.err + '\x04>');
    } else {
      line.push(c);
    }
  };
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      for (const c of chunk) byte(c);
    },
  });
  const port: SerialPortLike = {
    readable,
    writable,
    open: async () => undefined,
    close: async () => undefined,
    setSignals: async () => undefined,
    getInfo: () => ({}),
  };
  return { port, t };
}

const ok = (code: string): { out: string; err: string } => ({ out: `ran ${code.length}\r\n`, err: '' });

describe('src/device/repl.ts speaks pyexec.c byte for byte', () => {
  it('raw-paste: asks with \\x05A\\x01, never sends beyond the windows granted, ends with \\x04', async () => {
    const { port, t } = pyexecPort({ rawPaste: 'yes', run: ok });
    const repl = await Repl.open(port);
    try {
      await repl.enterRawRepl();
      const code = 'x = 1  # '.padEnd(1000, 'y');
      const start = t.sent.length;
      expect(await repl.exec(code)).toBe('ran 1000\r\n');
      const sent = Buffer.from(t.sent.slice(start)).toString('latin1');
      expect(sent).toBe('\x05A\x01' + code + '\x04');
      expect(t.overrun).toBe(0);
      expect(repl.supportsRawPaste).toBe(true);
    } finally {
      await repl.close();
    }
  });

  it('a traceback comes back as ReplExecError with what was printed before it', async () => {
    const { port } = pyexecPort({ rawPaste: 'yes', run: () => ({ out: 'a\r\n', err: 'Traceback (most recent call last):\r\nValueError: b\r\n' }) });
    const repl = await Repl.open(port);
    try {
      await repl.enterRawRepl();
      const err = await repl.exec('raise ValueError("b")').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplExecError);
      expect((err as ReplExecError).exception).toBe('ValueError: b');
      expect((err as ReplExecError).stdout).toBe('a\r\n');
    } finally {
      await repl.close();
    }
  });

  it('the board ends a raw-paste early (a parse error): repl.ts stops sending, ends with Ctrl-D, reads the error', async () => {
    const { port, t } = pyexecPort({ rawPaste: 'yes', run: ok });
    const repl = await Repl.open(port);
    try {
      await repl.enterRawRepl();
      const code = 'syntax! '.padEnd(2000, 'z');
      const start = t.sent.length;
      const err = await repl.exec(code).catch((e: unknown) => e);
      expect((err as ReplExecError).exception).toBe('SyntaxError: invalid syntax');
      const sent = t.sent.slice(start);
      // It stopped within the windows it had (it cannot see the \x04 before then), and ended.
      expect(sent.length).toBeLessThanOrEqual(3 + 2 * WINDOW + 1);
      expect(sent.at(-1)).toBe(4);
      // The REPL is usable after.
      expect(await repl.exec('print(1)')).toBe('ran 8\r\n');
    } finally {
      await repl.close();
    }
  });

  it('R\\x00, and firmware older than raw-paste (the banner again): the plain raw REPL, code then Ctrl-D, OK', async () => {
    for (const rawPaste of ['refuse', 'old'] as const) {
      const { port, t } = pyexecPort({ rawPaste, run: ok });
      const repl = await Repl.open(port);
      try {
        await repl.enterRawRepl();
        const start = t.sent.length;
        expect(await repl.exec('print(2)')).toBe('ran 8\r\n');
        expect(Buffer.from(t.sent.slice(start)).toString('latin1')).toBe('\x05A\x01' + 'print(2)' + '\x04');
        expect(repl.supportsRawPaste).toBe(false);
        // Next time it does not ask again.
        const again = t.sent.length;
        expect(await repl.exec('print(22)')).toBe('ran 9\r\n');
        expect(Buffer.from(t.sent.slice(again)).toString('latin1')).toBe('print(22)\x04');
      } finally {
        await repl.close();
      }
    }
  });

  it('softReset: Ctrl-D on the empty raw line, then "soft reboot" and the raw banner', async () => {
    const { port, t } = pyexecPort({ rawPaste: 'yes', run: ok });
    const repl = await Repl.open(port);
    try {
      await repl.enterRawRepl();
      const start = t.sent.length;
      await repl.softReset(2000);
      expect(t.sent.slice(start)).toEqual([4]);
      expect(await repl.exec('print(3)')).toBe('ran 8\r\n');
    } finally {
      await repl.close();
    }
  });
});
