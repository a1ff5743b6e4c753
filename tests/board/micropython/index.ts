// Virtual board, part 2: real MicroPython on the virtual board.
//
// The app part 1 boots when the flash holds a valid image. Each boot (power-on, hard reset, soft
// reset) runs a fresh interpreter in a worker thread of its own (worker.mjs); this side does the
// board's real I/O for it: the UART, GPIOs, the simulated access points and TCP sockets to real
// servers on this machine. The filesystem lives in the board's flash (flashfs.mjs).

import { Worker } from 'node:worker_threads';
import * as net from 'node:net';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chipFamily, type BoardApp, type BoardAppContext, type BoardAppFactory, type ChipName } from '../app.ts';

/**
 * os.uname().machine of MicroPython's generic boards: MICROPY_HW_BOARD_NAME " with "
 * MICROPY_HW_MCU_NAME (boards/ESP8266_GENERIC, ESP32_GENERIC, ESP32_GENERIC_C3 "ESP32C3 module",
 * ESP32_GENERIC_S3 "Generic ESP32S3 module"); the REPL banner ends with it.
 */
export const MACHINE: Readonly<Record<ChipName, string>> = {
  esp8266: 'ESP module with ESP8266',
  esp32: 'Generic ESP32 module with ESP32',
  esp32c3: 'ESP32C3 module with ESP32C3',
  esp32s3: 'Generic ESP32S3 module with ESP32S3',
};
import { CTL, RPC_CAP, RX_CAP } from './layout.mjs';
import * as ffs from './flashfs.mjs';
import type { FsKind } from './flashfs.mjs';

export type { FsKind } from './flashfs.mjs';

/**
 * What the REPL's UART holds while the firmware is busy: the UART interrupt moves every byte from
 * the chip's 128-byte FIFO into MicroPython's stdin ring at once (Ctrl-C becomes an interrupt
 * there), and a full ring drops the byte (py/ringbuf.h holds size − 1). ESP8266: UART0 is on
 * dupterm from boot (ports/esp8266/main.c), so its bytes go to stdin_ringbuf_array[256]
 * (esp_mphal.c; the 16-byte uart_ringbuf of uart.h is only used once the REPL is detached); ESP32:
 * stdin_ringbuf_array[260] (ports/esp32/mphalport.c). MicroPython 1.27 sources.
 */
export const RX_BUFFER_BYTES: Readonly<Record<'esp8266' | 'esp32', number>> = { esp8266: 255, esp32: 259 };

export interface MicroPythonOptions {
  /**
   * The filesystem a first boot creates. MicroPython 1.27 creates LittleFS on both chips (renames
   * are atomic); 'fat' is what older firmware made, and a board keeps it through a firmware update
   * without an erase (a rename onto an existing file is then two separate writes).
   */
  fs?: FsKind;
}

export interface MicroPythonHandle {
  /** Give this to the virtual board as the app it boots. */
  readonly app: BoardAppFactory;
  /** The interpreter running now, if the board is on and booted. */
  readonly current: MicroPythonApp | undefined;
  /**
   * Cut the board's power during the next rename onto an existing file: with FAT between its two
   * writes (the target removed, the source not yet renamed), with LittleFS before its one atomic
   * commit. Resolves when the power is cut; the board then stays dark until it is reset.
   */
  cutPowerOnNextRename(): Promise<void>;
}

const requireHere = createRequire(import.meta.url);
const trace = process.env.NYALA_MPY_TRACE
  ? (what: string): void => console.error(`[virtual board] ${what} at ${performance.now().toFixed(1)} ms`)
  : (): void => undefined;
let compiled: Promise<WebAssembly.Module> | undefined;
function wasmModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(
    readFileSync(requireHere.resolve('@micropython/micropython-webassembly-pyscript/micropython.wasm')),
  );
  return compiled;
}

// lwIP / MicroPython errno values (py/mperrno.h).
const EAGAIN = 11;
const ENOTCONN = 107;
const ECONNRESET = 104;
const ECONNREFUSED = 111;
const ETIMEDOUT = 110;
const EHOSTUNREACH = 113;

function boardErrno(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'ECONNREFUSED':
      return ECONNREFUSED;
    case 'ETIMEDOUT':
      return ETIMEDOUT;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return EHOSTUNREACH;
    default:
      return ECONNRESET;
  }
}

interface Sock {
  s: net.Socket | undefined;
  /** 0 connecting or idle, 1 connected, negative: the error. */
  state: number;
  chunks: Buffer[];
  len: number;
  eof: boolean;
}

type WorkerMsg =
  | { t: 'tx'; b: Uint8Array }
  | { t: 'gpio'; pin: number; level: 0 | 1 }
  | { t: 'reset' }
  | { t: 'soft'; raw: boolean }
  | { t: 'powercut' }
  | { t: 'log'; text: string }
  | { t: 'ready' }
  | ({ t: 'rpc'; seq: number } & Rpc);

type Rpc =
  | { op: 'gpio_get'; pin: number }
  | { op: 'aps' }
  | { op: 'resolve'; host: string }
  | { op: 'sock_new' }
  | { op: 'sock_connect'; id: number; ip: string; port: number }
  | { op: 'sock_state'; id: number }
  | { op: 'sock_send'; id: number; b: Uint8Array }
  | { op: 'sock_recv'; id: number; max: number }
  | { op: 'sock_close'; id: number }
  | { op: 'sock_poll'; spec: string };

/** How the interpreter starts: after a chip reset (with its cause) or a soft reset. */
type BootKind = NonNullable<BoardAppContext['resetCause']> | 'soft';

interface HandleState {
  fs: FsKind;
  cutArmed: boolean;
  cutDone: (() => void) | undefined;
  current: MicroPythonApp | undefined;
}

// One worker kept started and waiting (it has loaded the interpreter's JavaScript), per process.
const workerUrl = new URL('./worker.mjs', import.meta.url);
let spare: Worker | undefined;

function spawn(wasm: WebAssembly.Module): Worker {
  const w = new Worker(workerUrl, { workerData: { standby: true, wasmModule: wasm } });
  w.unref();
  return w;
}

function prepareWorker(wasm: WebAssembly.Module): void {
  if (spare) return;
  const w = spawn(wasm);
  spare = w;
  w.once('error', () => {
    if (spare === w) spare = undefined;
  });
  w.once('exit', () => {
    if (spare === w) spare = undefined;
  });
}

function takeWorker(wasm: WebAssembly.Module): Worker {
  const w = spare ?? spawn(wasm);
  spare = undefined;
  w.removeAllListeners();
  return w;
}

/** One board's MicroPython (one power-on); a soft reset swaps the interpreter inside it. */
export class MicroPythonApp implements BoardApp {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL.SIZE * 4));
  private readonly rx = new Uint8Array(new SharedArrayBuffer(RX_CAP));
  private readonly rpcData = new Uint8Array(new SharedArrayBuffer(RPC_CAP));
  private worker: Worker | undefined;
  private generation = 0;
  private stopped = false;
  private txChain: Promise<void> = Promise.resolve();
  private readonly sockets = new Map<number, Sock>();
  private nextSock = 1;
  /** The chip's last reset cause; a soft reset doesn't change it. */
  private cause: NonNullable<BoardAppContext['resetCause']> = 'power-on';

  constructor(
    private readonly ctx: BoardAppContext,
    private readonly handle: HandleState,
  ) {
    if (!(ctx.flash.buffer instanceof SharedArrayBuffer)) {
      throw new Error('the virtual board must give MicroPython its flash on a SharedArrayBuffer');
    }
    Atomics.store(this.ctl, CTL.RX_LIMIT, RX_BUFFER_BYTES[chipFamily(ctx.chip)]);
  }

  /** Arms the power-cut hook for the next rename onto an existing file. */
  armRenameCut(): void {
    Atomics.store(this.ctl, CTL.CUT_ON_RENAME, 1);
  }

  /** Bytes lost because the board's receive buffer was full. */
  get rxOverflow(): number {
    return Atomics.load(this.ctl, CTL.RX_OVERFLOW);
  }

  async boot(kind: BootKind, raw: boolean): Promise<void> {
    const module = await wasmModule();
    if (this.stopped) return;
    const gen = ++this.generation;
    if (kind !== 'soft') this.cause = kind;
    Atomics.store(this.ctl, CTL.RUNNING, 0);
    Atomics.store(this.ctl, CTL.INTR, 0);
    Atomics.store(this.ctl, CTL.CUT_ON_RENAME, this.handle.cutArmed ? 1 : 0);
    const worker = takeWorker(module);
    worker.postMessage({
      ctl: this.ctl.buffer,
      rx: this.rx.buffer,
      rpc: this.rpcData.buffer,
      flash: this.ctx.flash.buffer,
      flashOffset: this.ctx.flash.byteOffset,
      flashLength: this.ctx.flash.byteLength,
      // MicroPython's esp32 port runs every ESP32 variant: sys.platform 'esp32', the same layout;
      // os.uname().machine names the board and the chip.
      chip: chipFamily(this.ctx.chip),
      machine: MACHINE[this.ctx.chip],
      mac: Array.from(this.ctx.mac),
      timeScale: this.ctx.timeScale,
      rawPaste: this.ctx.rawPaste,
      fsKind: this.handle.fs,
      boot: { kind, raw, cause: this.cause },
      timeOrigin: performance.timeOrigin,
    });
    trace(`worker spawned (${kind})`);
    worker.once('online', () => trace('worker online'));
    this.worker = worker;
    worker.on('message', (msg: WorkerMsg) => {
      if (gen === this.generation && !this.stopped) this.onMessage(msg, gen);
    });
    const crashed = (why: unknown): void => {
      if (gen !== this.generation || this.stopped) return;
      // A crashed firmware resets the chip (exception or watchdog reset), as a board does.
      console.error('[virtual board] MicroPython stopped unexpectedly, resetting the board:', why);
      this.generation++;
      this.ctx.requestReset();
    };
    worker.on('error', crashed);
    worker.on('exit', (code) => crashed(`worker exit ${code}`));
  }

  receive(bytes: Uint8Array): void {
    if (this.stopped) return;
    const ctl = this.ctl;
    for (const c of bytes) {
      if (c === 3 && Atomics.load(ctl, CTL.RUNNING) === 1) {
        // The UART interrupt: Ctrl-C while code runs raises KeyboardInterrupt, it isn't input.
        Atomics.store(ctl, CTL.INTR, 1);
        continue;
      }
      const head = Atomics.load(ctl, CTL.RX_HEAD);
      const held = (head - Atomics.load(ctl, CTL.RX_TAIL)) | 0;
      // A board's firmware takes each byte from its buffer as it arrives while it waits for input
      // (the worker, woken, catches up): only while it is busy does the chip's buffer fill, and
      // what comes on top of a full buffer is lost, as the UART interrupt's ringbuf_put loses it.
      if (held >= RX_CAP || (held >= Atomics.load(ctl, CTL.RX_LIMIT) && Atomics.load(ctl, CTL.RX_IDLE) === 0)) {
        Atomics.add(ctl, CTL.RX_OVERFLOW, 1);
        continue;
      }
      this.rx[head & (RX_CAP - 1)] = c;
      Atomics.store(ctl, CTL.RX_HEAD, (head + 1) | 0);
    }
    this.wake();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.handle.current === this) this.handle.current = undefined;
    await this.killWorker();
  }

  private async killWorker(): Promise<void> {
    // A flash write in progress finishes (it is short and synchronous); none starts after this.
    const deadline = Date.now() + 1000;
    while (Atomics.compareExchange(this.ctl, CTL.FLASH_LOCK, 0, 2) === 1 && Date.now() < deadline) {
      Atomics.wait(this.ctl, CTL.FLASH_LOCK, 1, 20);
    }
    const w = this.worker;
    this.worker = undefined;
    this.generation++;
    for (const s of this.sockets.values()) s.s?.destroy();
    this.sockets.clear();
    if (w) await w.terminate();
    Atomics.store(this.ctl, CTL.FLASH_LOCK, 0);
  }

  private wake(): void {
    Atomics.add(this.ctl, CTL.EVT, 1);
    Atomics.notify(this.ctl, CTL.EVT);
  }

  private onMessage(msg: WorkerMsg, gen: number): void {
    switch (msg.t) {
      case 'tx': {
        const b = msg.b;
        this.txChain = this.txChain
          .then(() => (this.stopped ? undefined : this.ctx.uartWrite(b)))
          .catch(() => undefined)
          .then(() => {
            Atomics.sub(this.ctl, CTL.TX_PENDING, b.length);
            this.wake();
          });
        return;
      }
      case 'gpio':
        this.ctx.setGpio(msg.pin, msg.level);
        return;
      case 'reset':
        this.ctx.requestReset();
        return;
      case 'soft':
        trace('soft reset requested');
        void this.killWorker().then(() => {
          trace('old interpreter stopped');
          this.stopped = false;
          Atomics.store(this.ctl, CTL.TX_PENDING, 0);
          return this.boot('soft', msg.raw);
        });
        return;
      case 'powercut': {
        this.handle.cutArmed = false;
        const done = this.handle.cutDone;
        this.handle.cutDone = undefined;
        void this.stop().then(() => done?.());
        return;
      }
      case 'rpc':
        this.onRpc(msg, gen);
        return;
      case 'log':
        console.error('[virtual board]', msg.text);
        return;
      case 'ready':
        // The next boot (soft reset, or another board) takes a worker started now, off the
        // critical path.
        void wasmModule().then(prepareWorker);
        return;
    }
  }

  private reply(gen: number, seq: number, status: number, data?: Uint8Array): void {
    if (gen !== this.generation || this.stopped) return;
    const n = data ? Math.min(data.length, RPC_CAP) : 0;
    if (data) this.rpcData.set(data.subarray(0, n));
    Atomics.store(this.ctl, CTL.RPC_LEN, n);
    Atomics.store(this.ctl, CTL.RPC_STATUS, status);
    Atomics.store(this.ctl, CTL.RPC_SEQ, seq);
    Atomics.notify(this.ctl, CTL.RPC_SEQ);
  }

  private onRpc(msg: { seq: number } & Rpc, gen: number): void {
    const done = (status: number, data?: Uint8Array): void => this.reply(gen, msg.seq, status, data);
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    switch (msg.op) {
      case 'gpio_get':
        return done(this.ctx.getGpio(msg.pin));
      case 'aps':
        return done(0, text(JSON.stringify(this.ctx.accessPoints())));
      case 'resolve': {
        const notFound = this.ctx.chip === 'esp8266' ? -2 : -202;
        if (net.isIPv4(msg.host)) return done(0, text(msg.host));
        if (msg.host === 'localhost') return done(0, text('127.0.0.1'));
        lookup(msg.host, { family: 4 }).then(
          (r) => done(0, text(r.address)),
          () => done(notFound),
        );
        return;
      }
      case 'sock_new': {
        const id = this.nextSock++;
        this.sockets.set(id, { s: undefined, state: 0, chunks: [], len: 0, eof: false });
        return done(id);
      }
      case 'sock_connect': {
        const sock = this.sockets.get(msg.id);
        if (!sock) return done(-9);
        if (sock.s) return done(-106); // EISCONN
        const s = net.connect({ host: msg.ip, port: msg.port });
        sock.s = s;
        s.on('connect', () => {
          sock.state = 1;
          this.wake();
        });
        s.on('data', (d: Buffer) => {
          sock.chunks.push(d);
          sock.len += d.length;
          this.wake();
        });
        s.on('end', () => {
          sock.eof = true;
          this.wake();
        });
        s.on('error', (err: NodeJS.ErrnoException) => {
          sock.state = -boardErrno(err);
          this.wake();
        });
        s.on('close', () => {
          sock.eof = true;
          this.wake();
        });
        return done(0);
      }
      case 'sock_state': {
        const sock = this.sockets.get(msg.id);
        return done(sock ? sock.state : -9);
      }
      case 'sock_send': {
        const sock = this.sockets.get(msg.id);
        if (!sock) return done(-9);
        if (sock.state < 0) return done(sock.state);
        if (sock.state !== 1 || !sock.s || sock.eof) return done(sock.eof ? -ECONNRESET : -ENOTCONN);
        sock.s.write(msg.b);
        return done(msg.b.length);
      }
      case 'sock_recv': {
        const sock = this.sockets.get(msg.id);
        if (!sock) return done(-9);
        if (sock.len > 0) {
          const all = Buffer.concat(sock.chunks);
          const n = Math.min(msg.max, all.length, RPC_CAP);
          const rest = all.subarray(n);
          sock.chunks = rest.length ? [rest] : [];
          sock.len = rest.length;
          return done(n, all.subarray(0, n));
        }
        if (sock.state < 0) return done(sock.state);
        if (sock.eof) return done(0);
        if (sock.state !== 1) return done(-ENOTCONN);
        return done(-EAGAIN);
      }
      case 'sock_close': {
        const sock = this.sockets.get(msg.id);
        sock?.s?.destroy();
        this.sockets.delete(msg.id);
        return done(0);
      }
      case 'sock_poll': {
        const ready: string[] = [];
        for (const item of msg.spec ? msg.spec.split(',') : []) {
          const [idText, evText] = item.split(':');
          const sock = this.sockets.get(Number(idText));
          const ev = Number(evText);
          let rev = 0;
          if (!sock) rev = 32; // POLLNVAL
          else {
            if (ev & 1 && (sock.len > 0 || sock.eof || sock.state < 0)) rev |= 1;
            if (ev & 4 && sock.state === 1 && !sock.eof) rev |= 4;
            if (sock.state < 0) rev |= 8;
            if (sock.eof && sock.len === 0) rev |= 16;
          }
          if (rev) ready.push(`${idText}:${rev}`);
        }
        return done(0, text(ready.join(',')));
      }
    }
  }
}

/** A MicroPython app for the virtual board, with its test hooks. */
export function createMicroPython(options: MicroPythonOptions = {}): MicroPythonHandle {
  const state: HandleState = { fs: options.fs ?? 'littlefs', cutArmed: false, cutDone: undefined, current: undefined };
  const app: BoardAppFactory = async (ctx) => {
    const mpy = new MicroPythonApp(ctx, state);
    state.current = mpy;
    await mpy.boot(ctx.resetCause ?? 'power-on', false);
    return mpy;
  };
  return {
    app,
    get current() {
      return state.current;
    },
    cutPowerOnNextRename() {
      state.cutArmed = true;
      return new Promise<void>((resolve) => {
        state.cutDone = resolve;
        state.current?.armRenameCut();
      });
    },
  };
}

/** The app factory for boards that need no test hooks. */
export const micropythonApp: BoardAppFactory = (ctx) => createMicroPython().app(ctx);

// ---------------------------------------------------------------------------------------------
// The filesystem in a board's flash, for tests: read, list, preload (board on or off).

function regionOf(flash: Uint8Array, chip: ChipName): Uint8Array {
  const r = ffs.fsRegion(chip, flash.length);
  if (!r) throw new Error(`no filesystem on a ${flash.length}-byte ${chip}`);
  return flash.subarray(r.offset, r.offset + r.size);
}

/** The files (not directories) on the board, path → content; null if there is no filesystem. */
export function readBoardFiles(flash: Uint8Array, chip: ChipName): Map<string, Uint8Array> | null {
  const img = ffs.parseImage(regionOf(flash, chip));
  if (typeof img === 'string') return null;
  const out = new Map<string, Uint8Array>();
  for (const [path, e] of img.entries) if (!e.dir) out.set(path, e.data);
  return out;
}

/** One file's content, or undefined. */
export function readBoardFile(flash: Uint8Array, chip: ChipName, path: string): Uint8Array | undefined {
  return readBoardFiles(flash, chip)?.get(ffs.normPath(path));
}

/** Writes files (and the directories they need) into the board's filesystem, creating it if the
 *  region is blank, as if they had been uploaded. */
export function writeBoardFiles(
  flash: Uint8Array,
  chip: ChipName,
  files: Record<string, string | Uint8Array>,
  kind: FsKind = 'littlefs',
): void {
  const region = regionOf(flash, chip);
  const parsed = ffs.parseImage(region);
  const img =
    typeof parsed === 'string'
      ? { seq: 0, kind, entries: new Map([['/boot.py', { dir: false as const, data: new TextEncoder().encode(ffs.defaultBootPy(chip)) }]]) }
      : parsed;
  const entries = new Map(img.entries);
  for (const [name, content] of Object.entries(files)) {
    const path = ffs.normPath(name);
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) entries.set('/' + parts.slice(0, i).join('/'), { dir: true });
    entries.set(path, { dir: false, data: typeof content === 'string' ? new TextEncoder().encode(content) : content });
  }
  ffs.writeImage(region, { seq: (img.seq + 1) >>> 0, kind: img.kind, entries });
}
