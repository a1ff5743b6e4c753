// The serial cable between host and board: two one-way wires, each end with its own baud.
// A byte occupies the line for 10 bit-times (8N1) multiplied by timeScale; a sender whose transmit
// buffer is full waits, as with a UART. When the ends disagree on baud, the receiver decodes what
// its own clock samples (uart.ts). DTR/RTS reach the board through the auto-reset circuit
// (reset-circuit.ts). Faults (drop, flip, stall, unplug) act on the wire.
import { mulberry32 } from './prng.ts';
import { baudsAgree, resample } from './uart.ts';

export type Direction = 'toBoard' | 'toHost';

export interface FaultSpec {
  /** Which way the fault applies; default both. */
  direction?: Direction | 'both';
  /** Chance per byte (0..1]; default 1 = every byte. */
  rate?: number;
  /** Bytes that pass untouched before the fault starts; default 0. */
  after?: number;
}

interface Fault {
  kind: 'drop' | 'flip';
  rate: number;
  after: number;
}

interface Chunk {
  bytes: Uint8Array;
  txBaud: number;
  /** performance.now() at which its first byte starts on the line */
  start: number;
  /** ms per byte on the line */
  byteMs: number;
  delivered: number;
}

/** USB full-speed bulk packet size, and about 1 MB/s of payload through CDC. */
export const USB_PACKET = 64;
const USB_BYTE_MS = 0.001;

export class LinkUnpluggedError extends Error {
  constructor() {
    super('The device has been lost.');
    this.name = 'NetworkError';
  }
}

/** One direction of the cable. */
export class Wire {
  private chunks: Chunk[] = [];
  private lineFreeAt = 0;
  private buffered = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** Bumped by flush(): a sender still waiting from before drops the rest of its bytes. */
  private epoch = 0;
  private faults: Fault[] = [];
  private stalled = false;
  private dead: Error | undefined;
  private readonly random = mulberry32(0x5eed);
  /** Bytes this wire has carried (before faults), for `after`. */
  private carried = 0;

  constructor(
    private readonly opts: {
      capacity: number;
      timeScale: number;
      /** current baud of the receiving end; called at delivery */
      rxBaud: () => number;
      /** above this either end's clock is unreliable and bytes garble */
      maxBaud: number;
      deliver: (bytes: Uint8Array, txBaud: number) => void;
      /** the receiver may adopt the sender's baud (ROM autobaud) */
      autobaud?: (txBaud: number) => void;
      /** USB (the chip's own USB-Serial-JTAG): no baud, bytes arrive in whole bulk packets */
      usb?: boolean;
    },
  ) {}

  /** Queue bytes at the sender's baud; resolves once they fit in the transmit buffer. */
  async send(bytes: Uint8Array, txBaud: number): Promise<void> {
    let offset = 0;
    const epoch = this.epoch;
    while (offset < bytes.length) {
      if (this.dead) throw this.dead;
      if (this.epoch !== epoch) return;
      const room = this.opts.capacity - this.buffered;
      if (room <= 0) {
        await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
        continue;
      }
      const part = bytes.subarray(offset, offset + room);
      offset += part.length;
      this.enqueue(Uint8Array.from(part), txBaud);
    }
  }

  private enqueue(bytes: Uint8Array, txBaud: number): void {
    const now = performance.now();
    const byteMs = (this.opts.usb ? USB_BYTE_MS : 10_000 / txBaud) * this.opts.timeScale;
    const start = Math.max(now, this.lineFreeAt);
    this.lineFreeAt = start + byteMs * bytes.length;
    this.chunks.push({ bytes, txBaud, start, byteMs, delivered: 0 });
    this.buffered += bytes.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stalled || this.dead) return;
    const head = this.chunks[0];
    if (!head) return;
    const mismatch = this.mismatched(head);
    // A garbled chunk is decoded whole; a clean one byte by byte as bytes complete.
    const next = this.opts.usb ? Math.min(head.bytes.length, (Math.floor(head.delivered / USB_PACKET) + 1) * USB_PACKET) : head.delivered + 1;
    const dueAt = mismatch ? head.start + head.byteMs * head.bytes.length : head.start + head.byteMs * next;
    const wait = Math.max(0, dueAt - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, wait);
  }

  private mismatched(c: Chunk): boolean {
    // USB CDC has no line: the baud both ends set means nothing.
    if (this.opts.usb) return false;
    const rx = this.opts.rxBaud();
    return !baudsAgree(c.txBaud, rx) || c.txBaud > this.opts.maxBaud || rx > this.opts.maxBaud;
  }

  private tick(): void {
    if (this.stalled || this.dead) return;
    const now = performance.now();
    while (this.chunks.length > 0) {
      const c = this.chunks[0]!;
      if (this.opts.autobaud && c.delivered === 0) this.opts.autobaud(c.txBaud);
      const mismatch = this.mismatched(c);
      let done = Math.min(c.bytes.length, Math.floor((now - c.start) / c.byteMs + 1e-9));
      // A USB device hands over whole bulk packets (64 bytes, or what was left of the write).
      if (this.opts.usb && done < c.bytes.length) done = Math.floor(done / USB_PACKET) * USB_PACKET;
      if (mismatch) {
        if (done < c.bytes.length) break;
        const rest = c.bytes.subarray(c.delivered);
        const rx = this.opts.rxBaud();
        // Over maxBaud the receiver's clock is off by a few percent more than a UART tolerates.
        const effectiveTx = baudsAgree(c.txBaud, rx) ? c.txBaud * 0.93 : c.txBaud;
        this.emit(resample(rest, effectiveTx, rx), c.txBaud);
        this.finishBytes(rest.length);
        this.chunks.shift();
        continue;
      }
      if (done <= c.delivered) break;
      const part = c.bytes.subarray(c.delivered, done);
      c.delivered = done;
      this.emit(part, c.txBaud);
      this.finishBytes(part.length);
      if (c.delivered === c.bytes.length) this.chunks.shift();
      else break;
    }
    this.schedule();
  }

  private finishBytes(n: number): void {
    this.buffered -= n;
    const room = this.opts.capacity - this.buffered;
    if (room > 0 && this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w.resolve();
    }
  }

  private emit(bytes: Uint8Array, txBaud: number): void {
    if (bytes.length === 0) return;
    if (this.faults.length === 0) {
      this.carried += bytes.length;
      this.opts.deliver(bytes, txBaud);
      return;
    }
    const out: number[] = [];
    for (const b of bytes) {
      const index = this.carried++;
      let value: number | undefined = b;
      for (const f of this.faults) {
        if (value === undefined || index < f.after || this.random() >= f.rate) continue;
        if (f.kind === 'drop') value = undefined;
        else value ^= 1 << Math.floor(this.random() * 8);
      }
      if (value !== undefined) out.push(value);
    }
    if (out.length > 0) this.opts.deliver(Uint8Array.from(out), txBaud);
  }

  addFault(kind: 'drop' | 'flip', spec: FaultSpec): void {
    this.faults.push({ kind, rate: spec.rate ?? 1, after: this.carried + (spec.after ?? 0) });
  }

  stall(): void {
    this.stalled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Clear faults and stalls; queued bytes continue from now. */
  clear(): void {
    this.faults = [];
    if (!this.stalled) return;
    this.stalled = false;
    let t = performance.now();
    for (const c of this.chunks) {
      c.start = t - c.delivered * c.byteMs;
      t = c.start + c.byteMs * c.bytes.length;
    }
    this.lineFreeAt = Math.max(t, performance.now());
    this.schedule();
  }

  /** Discard what is in flight (a closed port, a reset UART FIFO). */
  flush(): void {
    this.epoch++;
    this.chunks = [];
    this.buffered = 0;
    this.lineFreeAt = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.finishBytes(0);
  }

  /** The cable is gone: waiting senders fail, nothing more is delivered. */
  kill(err: Error): void {
    this.dead = err;
    this.flush();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  revive(): void {
    this.dead = undefined;
    this.stalled = false;
    this.faults = [];
  }

  /** Resolves once everything queued has left (a UART waiting for its TX FIFO to empty). */
  async drain(): Promise<void> {
    while (this.buffered > 0 && !this.dead) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Bytes queued but not yet delivered. */
  get pending(): number {
    return this.buffered;
  }
}

export interface LinkOptions {
  timeScale: number;
  maxBaud: number;
  /** Host-side buffer (USB bridge + OS), bytes. */
  hostTxCapacity?: number;
  /** Board UART TX FIFO, bytes (128 on ESP8266 and ESP32, per their TRMs). */
  boardTxCapacity?: number;
  /** the chip's own USB instead of a UART: no baud, whole packets (Wire `usb`) */
  usb?: boolean;
}

/** The whole cable: both wires and both ends' bauds and the host's modem lines. */
export class Link {
  hostBaud = 115200;
  boardBaud = 115200;
  /** The board's UART re-locks to what it hears (ROM autobaud before sync). */
  boardAutobaud = false;
  hostOpen = false;
  plugged = true;
  readonly toBoard: Wire;
  readonly toHost: Wire;
  private boardRx: (bytes: Uint8Array) => void = () => {};
  private hostRx: (bytes: Uint8Array) => void = () => {};

  constructor(readonly opts: LinkOptions) {
    this.toBoard = new Wire({
      capacity: opts.hostTxCapacity ?? 4096,
      timeScale: opts.timeScale,
      maxBaud: opts.maxBaud,
      rxBaud: () => this.boardBaud,
      autobaud: (tx) => {
        if (this.boardAutobaud) this.boardBaud = tx;
      },
      deliver: (bytes) => this.boardRx(bytes),
      ...(opts.usb ? { usb: true } : {}),
    });
    this.toHost = new Wire({
      capacity: opts.boardTxCapacity ?? 128,
      timeScale: opts.timeScale,
      maxBaud: opts.maxBaud,
      rxBaud: () => this.hostBaud,
      deliver: (bytes) => {
        // With the port closed nobody reads; the bridge drops what arrives.
        if (this.hostOpen) this.hostRx(bytes);
      },
      ...(opts.usb ? { usb: true } : {}),
    });
  }

  onBoardReceive(fn: (bytes: Uint8Array) => void): void {
    this.boardRx = fn;
  }

  onHostReceive(fn: (bytes: Uint8Array) => void): void {
    this.hostRx = fn;
  }

  hostSend(bytes: Uint8Array): Promise<void> {
    return this.toBoard.send(bytes, this.hostBaud);
  }

  boardSend(bytes: Uint8Array): Promise<void> {
    return this.toHost.send(bytes, this.boardBaud);
  }

  wires(direction: Direction | 'both' = 'both'): Wire[] {
    if (direction === 'toBoard') return [this.toBoard];
    if (direction === 'toHost') return [this.toHost];
    return [this.toBoard, this.toHost];
  }
}
