// The MicroPython REPL protocol, host side, written from MicroPython's docs (docs/reference/repl.rst,
// "Raw mode and raw-paste mode") and the steps of mpremote's serial transport. No DOM.
//
//   interrupt      Ctrl-C until the running program (main.py) stops
//   enterRawRepl   Ctrl-A → "raw REPL; CTRL-B to exit\r\n>"
//   exec           raw-paste (Ctrl-E A Ctrl-A → "R\x01" + window) or, on firmware that answers
//                  "R\x00", the plain raw REPL in chunks; then OK / stdout \x04 / stderr \x04 / ">"
//   softReset      Ctrl-D in the raw REPL: a fresh interpreter, still in the raw REPL
//   exitRawRepl    Ctrl-B → the friendly REPL; runMain: Ctrl-D there, so boot.py and main.py run
import { DeviceError } from './device-error.ts';
import { SerialStream, StreamError, decodeLatin1 } from './serial-stream.ts';
import type { SerialPortLike } from './port.ts';

/** MicroPython's UART REPL speed on the ESP8266 and ESP32 ports. */
export const REPL_BAUD = 115200;

const CTRL_A = '\x01'; // raw REPL
const CTRL_B = '\x02'; // friendly REPL
const CTRL_C = '\x03'; // KeyboardInterrupt
const CTRL_D = '\x04'; // end of input / soft reset
const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n>';
const RAW_PASTE_REQUEST = '\x05A\x01';
/** The plain raw REPL has no flow control: mpremote sends 256 bytes every 10 ms. */
const RAW_CHUNK = 256;
const RAW_CHUNK_PAUSE_MS = 10;
/** How long without a byte counts as "the program has stopped talking". */
const SILENCE_MS = 60;

export type ReplErrorCode =
  /** nothing like a MicroPython REPL answered (no firmware, another program, wrong baud) */
  | 'no-repl'
  /** a step had no answer in time */
  | 'timeout'
  /** the board answered something the protocol doesn't allow */
  | 'protocol'
  | 'unplugged'
  /** the port would not open: another program (or tab) holds it, or permission was refused */
  | 'busy'
  | 'cancelled'
  /** the port was closed under us */
  | 'closed';

/** The link failed: the board didn't answer, answered nonsense, or went away. */
export class ReplError extends DeviceError<ReplErrorCode> {
  constructor(code: ReplErrorCode, detail = '') {
    super('ReplError', code, detail);
  }
}

/** Code ran on the board and raised: its traceback, and what it printed before. */
export class ReplExecError extends DeviceError<'board-error'> {
  /** the exception's line, e.g. "OSError: [Errno 28] ENOSPC" */
  readonly exception: string;
  constructor(
    readonly traceback: string,
    readonly stdout: string,
  ) {
    const lines = traceback.trim().split(/\r?\n/);
    const last = lines[lines.length - 1] ?? 'error';
    super('ReplExecError', 'board-error', traceback, last);
    this.exception = last;
  }
}

export interface ReplOptions {
  baudRate?: number;
  signal?: AbortSignal;
  /** every byte the board sends, as it comes (for a console or a log) */
  onReceive?: (bytes: Uint8Array) => void;
  /** false: never try raw-paste (what ampy and old mpremote do) */
  rawPaste?: boolean;
}

export interface ExecOptions {
  /** for the board's answer once the code is sent (real ms) */
  timeoutMs?: number;
  /** bytes of the code handed to the link so far */
  onSent?: (sent: number, total: number) => void;
}

export interface ExecResult {
  stdout: Uint8Array;
  stderr: string;
}

export class Repl {
  /** undefined until the board has said whether it has raw-paste */
  private rawPaste: boolean | undefined;
  private inRaw = false;

  private constructor(
    private readonly io: SerialStream,
    private readonly signal: AbortSignal | undefined,
    rawPaste: boolean,
  ) {
    if (!rawPaste) this.rawPaste = false;
  }

  /** Open the port (handed over closed, see port.ts) at the REPL's baud. */
  static async open(port: SerialPortLike, options: ReplOptions = {}): Promise<Repl> {
    try {
      const io = await SerialStream.open(port, options.baudRate ?? REPL_BAUD, options.onReceive);
      return new Repl(io, options.signal, options.rawPaste ?? true);
    } catch (err) {
      throw toReplError(err);
    }
  }

  /** Whether the board accepted raw-paste (undefined before the first exec). */
  get supportsRawPaste(): boolean | undefined {
    return this.rawPaste;
  }

  /**
   * Stop whatever runs and enter the raw REPL. A main.py may be sleeping in a loop, printing
   * without pause, or not started yet (an adapter that resets the board on open: the ROM noise and
   * the boot banner come first), so Ctrl-C is sent again every round until the banner appears.
   */
  async enterRawRepl(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let round = 0;
    try {
      for (;;) {
        round++;
        await this.io.write(`\r${CTRL_C}${CTRL_C}`);
        await this.quiet(Math.min(150 * round, 600), deadline);
        this.io.discard();
        // Ctrl-C also ends a raw-paste a cut-off session left open, and clears a half line in the
        // raw REPL (pyexec.c), so Ctrl-A now finds a REPL whatever state it was left in.
        await this.io.write(`\r${CTRL_A}`);
        try {
          await this.io.readUntil(RAW_BANNER, Math.min(1000 * round, Math.max(1, deadline - Date.now())), this.signal);
          this.inRaw = true;
          return;
        } catch (err) {
          if (!(err instanceof StreamError && err.code === 'timeout') || Date.now() >= deadline) throw err;
        }
      }
    } catch (err) {
      const e = toReplError(err);
      throw e instanceof ReplError && e.code === 'timeout' ? new ReplError('no-repl', e.detail) : e;
    }
  }

  /**
   * Drop what the board says until it has been silent for a moment, or `ms` have passed (a
   * program that prints nonstop never falls silent: then go on and let the next round retry).
   */
  private async quiet(ms: number, deadline: number): Promise<void> {
    const until = Math.min(Date.now() + ms, deadline);
    for (;;) {
      this.io.discard();
      const left = until - Date.now();
      if (left <= 0) return;
      if (!(await this.io.waitForData(Math.min(left, SILENCE_MS), this.signal))) return;
    }
  }

  /** Run `code` in the raw REPL and return its stdout; a traceback throws ReplExecError. */
  async exec(code: string | Uint8Array, options: ExecOptions = {}): Promise<string> {
    const { stdout, stderr } = await this.execRaw(code, options);
    const out = new TextDecoder().decode(stdout);
    if (stderr) throw new ReplExecError(stderr, out);
    return out;
  }

  /** Run `code` in the raw REPL; stdout as bytes, the traceback (empty if none) as text. */
  async execRaw(code: string | Uint8Array, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.inRaw) throw new ReplError('protocol', 'not in the raw REPL');
    const bytes = typeof code === 'string' ? new TextEncoder().encode(code) : code;
    const timeoutMs = options.timeoutMs ?? 10_000;
    try {
      // Whatever is waiting now is stale (a late banner from an earlier Ctrl-A round).
      this.io.discard();
      let pasted = false;
      if (this.rawPaste !== false) pasted = await this.rawPasteWrite(bytes, options.onSent);
      if (!pasted) await this.rawWrite(bytes, options.onSent, timeoutMs);
      return await this.readResult(timeoutMs);
    } catch (err) {
      throw toReplError(err);
    }
  }

  /**
   * Raw-paste: ask with Ctrl-E A Ctrl-A; "R\x01" and a 16-bit little-endian window follow, and the
   * board sends \x01 each time it has room for another window; Ctrl-D ends the code and the board
   * acknowledges with \x04. The board may also send \x04 early (it wants no more, e.g. a syntax
   * error): the host then ends with Ctrl-D too. Returns false when the firmware has no raw-paste.
   */
  async rawPasteWrite(code: Uint8Array, onSent?: (sent: number, total: number) => void): Promise<boolean> {
    await this.io.write(RAW_PASTE_REQUEST);
    let answer: number;
    try {
      answer = (await this.io.readUntilFirst(['R\x01', 'R\x00'], 2000, this.signal)).marker;
    } catch (err) {
      // Firmware older than raw-paste took Ctrl-A as "raw REPL again" and reprinted its banner.
      if (!(err instanceof StreamError && err.code === 'timeout' && decodeLatin1(this.io.take()).includes(RAW_BANNER))) throw err;
      this.rawPaste = false;
      return false;
    }
    if (answer === 1) {
      this.rawPaste = false;
      return false;
    }
    this.rawPaste = true;
    const head = await this.io.read(2, 2000, this.signal);
    const window = (head[0] ?? 0) | ((head[1] ?? 0) << 8);
    if (window === 0) throw new ReplError('protocol', 'raw-paste window of 0');
    let remain = window;
    let sent = 0;
    let stopped = false;
    while (sent < code.length && !stopped) {
      // Only flow-control bytes can come now; stop at \x04, what follows it is the result.
      for (let c = this.io.shift(); c !== undefined; c = this.io.shift()) {
        if (c === 0x01) remain += window;
        else if (c === 0x04) {
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      if (remain === 0) {
        if (!(await this.io.waitForData(5000, this.signal))) throw new ReplError('timeout', 'raw-paste: no window from the board');
        continue;
      }
      const n = Math.min(remain, code.length - sent);
      await this.io.write(code.subarray(sent, sent + n));
      sent += n;
      remain -= n;
      onSent?.(sent, code.length);
    }
    await this.io.write(CTRL_D);
    // The board's \x04 that acknowledges the end (window increments may come before it).
    if (!stopped) await this.io.readUntil(CTRL_D, 10_000, this.signal);
    return true;
  }

  /** The plain raw REPL: the code, paced as mpremote paces it, then Ctrl-D; "OK" when taken. */
  private async rawWrite(code: Uint8Array, onSent: ((sent: number, total: number) => void) | undefined, timeoutMs: number): Promise<void> {
    for (let i = 0; i < code.length; i += RAW_CHUNK) {
      await this.io.write(code.subarray(i, i + RAW_CHUNK));
      onSent?.(Math.min(i + RAW_CHUNK, code.length), code.length);
      if (i + RAW_CHUNK < code.length) await sleep(RAW_CHUNK_PAUSE_MS);
    }
    await this.io.write(CTRL_D);
    // A ">" may come first: the prompt the board sends after refusing raw-paste.
    const ok = decodeLatin1(await this.io.readUntil('OK', timeoutMs, this.signal));
    if (ok.replace(/>/g, '') !== 'OK') throw new ReplError('protocol', `expected OK, got ${JSON.stringify(ok)}`);
  }

  /** stdout up to \x04, the traceback up to \x04, then the raw prompt ">". */
  private async readResult(timeoutMs: number): Promise<ExecResult> {
    const out = await this.io.readUntil(CTRL_D, timeoutMs, this.signal);
    const err = await this.io.readUntil(CTRL_D, 5000, this.signal);
    await this.io.readUntil('>', 5000, this.signal);
    return { stdout: out.subarray(0, out.length - 1), stderr: new TextDecoder().decode(err.subarray(0, err.length - 1)) };
  }

  /**
   * Soft reset from the raw REPL: a fresh interpreter (globals, imports, sockets gone) without
   * running main.py, and still in the raw REPL.
   */
  async softReset(timeoutMs = 10_000): Promise<void> {
    if (!this.inRaw) throw new ReplError('protocol', 'not in the raw REPL');
    try {
      await this.io.write(CTRL_D);
      await this.io.readUntil('soft reboot\r\n', timeoutMs, this.signal);
      await this.io.readUntil(RAW_BANNER, timeoutMs, this.signal);
    } catch (err) {
      throw toReplError(err);
    }
  }

  /**
   * After a garbled exchange: end whatever input the board is in the middle of (Ctrl-D closes an
   * open raw-paste or runs a half line, which fails harmlessly), then enter the raw REPL afresh.
   * Globals may be gone (Ctrl-D on an empty raw line is a soft reset): define them again.
   */
  async recover(timeoutMs = 10_000): Promise<void> {
    this.inRaw = false;
    try {
      await this.io.write(CTRL_D);
    } catch (err) {
      throw toReplError(err);
    }
    await this.enterRawRepl(timeoutMs);
  }

  /** Back to the friendly REPL (">>> "). */
  async exitRawRepl(timeoutMs = 5000): Promise<void> {
    try {
      await this.io.write(`\r${CTRL_B}`);
      await this.io.readUntil('>>> ', timeoutMs, this.signal);
      this.inRaw = false;
    } catch (err) {
      throw toReplError(err);
    }
  }

  /**
   * Soft reset from the friendly REPL, as pressing Ctrl-D at ">>> " does: boot.py and then main.py
   * run. Returns once the board has said "soft reboot"; read what the program prints with readLine.
   */
  async runMain(timeoutMs = 10_000): Promise<void> {
    try {
      if (this.inRaw) await this.exitRawRepl(timeoutMs);
      await this.io.write(CTRL_D);
      await this.io.readUntil('soft reboot\r\n', timeoutMs, this.signal);
    } catch (err) {
      throw toReplError(err);
    }
  }

  /** The next line the board prints (without its line end), decoded as UTF-8. */
  async readLine(timeoutMs: number, signal = this.signal): Promise<string> {
    try {
      const line = await this.io.readUntil('\n', timeoutMs, signal);
      return new TextDecoder().decode(line).replace(/\r?\n$/, '');
    } catch (err) {
      throw toReplError(err);
    }
  }

  /** Release the port: the stream stops and the port is closed. */
  async close(): Promise<void> {
    await this.io.close();
  }
}

export function toReplError(err: unknown): ReplError | ReplExecError {
  if (err instanceof ReplError || err instanceof ReplExecError) return err;
  if (err instanceof StreamError) return new ReplError(err.code, err.detail);
  return new ReplError('protocol', String((err as Error | null)?.message ?? err));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
