// A byte stream on an opened Web-Serial-shaped port, as a request/response protocol needs it:
// write, and read until a marker or a byte count, each with a deadline and an AbortSignal. One
// pump reads the port into a buffer, so nothing the board says between two reads is lost.
import { DeviceError } from './device-error.ts';
import { classifyPortError, closeQuietly, type SerialPortLike } from './port.ts';

/** busy: the port would not open (another program has it, or no permission). */
export type StreamErrorCode = 'timeout' | 'unplugged' | 'cancelled' | 'closed' | 'busy';

export class StreamError extends DeviceError<StreamErrorCode> {
  constructor(code: StreamErrorCode, detail = '') {
    super('StreamError', code, detail);
  }
}

/** Long enough for a few KB at 9600 baud; a healthy link takes a write in milliseconds. */
const WRITE_TIMEOUT_MS = 10_000;

export class SerialStream {
  private buf = new Uint8Array(8192);
  private start = 0;
  private end = 0;
  /** bytes received since the port was opened: "has anything new come?" */
  private received = 0;
  private wake: (() => void) | undefined;
  private failure: StreamError | undefined;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly onDisconnect = (): void => this.fail(new StreamError('unplugged', 'disconnect event'));
  private readonly pumping: Promise<void>;

  private constructor(
    private readonly port: SerialPortLike,
    /** every byte received, as it arrives (a console view, a log) */
    private readonly tap?: (bytes: Uint8Array) => void,
  ) {
    if (!port.readable || !port.writable) throw new StreamError('closed', 'port not open');
    this.reader = port.readable.getReader();
    this.writer = port.writable.getWriter();
    port.addEventListener?.('disconnect', this.onDisconnect);
    this.pumping = this.pump();
  }

  /** Open the port at `baudRate` and start reading it. */
  static async open(port: SerialPortLike, baudRate: number, tap?: (bytes: Uint8Array) => void): Promise<SerialStream> {
    try {
      await port.open({ baudRate });
    } catch (err) {
      const p = classifyPortError(err, 'open');
      throw new StreamError(p.code === 'unplugged' ? 'unplugged' : 'busy', p.detail);
    }
    return new SerialStream(port, tap);
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        if (value && value.length > 0) {
          this.tap?.(value);
          this.append(value);
        }
      }
      this.fail(new StreamError('closed', 'port closed'));
    } catch (err) {
      this.fail(new StreamError('unplugged', String((err as Error | null)?.message ?? err)));
    }
  }

  private append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      const next = live + bytes.length > this.buf.length / 2 ? new Uint8Array((live + bytes.length) * 2) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
    this.received += bytes.length;
    this.notify();
  }

  private fail(err: StreamError): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.end - this.start;
  }

  /**
   * Hand bytes to the port. A stalled link (the board's receive buffer full, a stuck adapter)
   * blocks a write: after `timeoutMs` that is a timeout, not a hang.
   */
  async write(data: Uint8Array | string, timeoutMs = WRITE_TIMEOUT_MS): Promise<void> {
    if (this.failure) throw this.failure;
    const bytes = typeof data === 'string' ? latin1(data) : data;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.writer.write(bytes),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StreamError('timeout', `writing ${bytes.length} bytes`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      if (err instanceof StreamError && !this.failure) throw err;
      throw this.failure ?? new StreamError('unplugged', String((err as Error | null)?.message ?? err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything received so far, without waiting. */
  take(): Uint8Array {
    const out = this.buf.slice(this.start, this.end);
    this.start = this.end = 0;
    return out;
  }

  /** One received byte, if there is one, without waiting. */
  shift(): number | undefined {
    if (this.start === this.end) return undefined;
    return this.buf[this.start++];
  }

  /** Forget what was received so far (noise, a program's output before we took over). */
  discard(): void {
    this.start = this.end = 0;
  }

  /** Read up to and including `marker`; what came before it is returned with it. */
  async readUntil(marker: Uint8Array | string, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return (await this.readUntilFirst([marker], timeoutMs, signal)).bytes;
  }

  /** Read up to and including whichever of `markers` comes first; which one it was, by index. */
  async readUntilFirst(
    markers: readonly (Uint8Array | string)[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ marker: number; bytes: Uint8Array }> {
    const ms = markers.map((m) => (typeof m === 'string' ? latin1(m) : m));
    const longest = Math.max(...ms.map((m) => m.length));
    const deadline = Date.now() + timeoutMs;
    let from = this.start;
    for (;;) {
      let best = -1;
      let which = -1;
      ms.forEach((m, i) => {
        const at = indexOf(this.buf, m, Math.max(this.start, from), this.end);
        if (at >= 0 && (best < 0 || at + m.length < best)) {
          best = at + m.length;
          which = i;
        }
      });
      if (which >= 0) {
        const bytes = this.buf.slice(this.start, best);
        this.start = best;
        return { marker: which, bytes };
      }
      // Next time, search only where a marker could now end (the buffer may move meanwhile).
      const seen = this.end - this.start;
      await this.waitForMore(deadline, signal, () => `waiting for ${ms.map((m) => JSON.stringify(decodeLatin1(m))).join(' or ')}`);
      from = this.start + Math.max(0, seen - longest + 1);
    }
  }

  /** Read exactly `n` bytes. */
  async read(n: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.available < n) await this.waitForMore(deadline, signal, () => `waiting for ${n} bytes`);
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Resolve when new bytes arrive (true) or `ms` pass (false); a failed port throws. */
  async waitForData(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.available > 0) return true;
    const before = this.received;
    try {
      await this.waitForMore(Date.now() + ms, signal, () => '');
    } catch (err) {
      if (err instanceof StreamError && err.code === 'timeout') return false;
      throw err;
    }
    return this.received > before;
  }

  /** Wait for at least one byte more than those received so far. */
  private async waitForMore(deadline: number, signal: AbortSignal | undefined, what: () => string): Promise<void> {
    const before = this.received;
    while (this.received === before) {
      if (this.failure) throw this.failure;
      if (signal?.aborted) throw new StreamError('cancelled');
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StreamError('timeout', `${what()}; got ${JSON.stringify(tail(this.buf.subarray(this.start, this.end)))}`);
      }
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', finish);
          if (this.wake === finish) this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(finish, left);
        signal?.addEventListener('abort', finish, { once: true });
        this.wake = finish;
      });
    }
  }

  /** Let go of the port: stop the pump, release the locks, close it. */
  async close(): Promise<void> {
    this.port.removeEventListener?.('disconnect', this.onDisconnect);
    this.fail(new StreamError('closed'));
    await this.reader.cancel().catch(() => undefined);
    this.reader.releaseLock();
    await this.pumping;
    this.writer.releaseLock();
    await closeQuietly(this.port);
  }
}

export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function decodeLatin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

function tail(b: Uint8Array): string {
  return decodeLatin1(b.subarray(Math.max(0, b.length - 200)));
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first ?? 0, from); i >= 0 && i + needle.length <= to; i = hay.indexOf(first ?? 0, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
