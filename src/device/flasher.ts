// Flash MicroPython with esptool-js: connect, detect, check the image, back up, erase, write,
// verify by MD5, reset. No DOM: it emits typed states and coded errors; ui/ turns them into
// sentences in both languages. One try/finally closes the port after success, error or cancel.
import { ESPLoader, Transport, type FlashSizeValues, type IEspLoaderTerminal } from 'esptool-js';
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChipFamily } from './chips.ts';
import { DeviceError } from './device-error.ts';
import { BOOT_OFFSET, checkImage, type ImageProblem } from './image.ts';
import { classifyPortError, closeQuietly, PortError, resetIntoProgram, type SerialPortLike } from './port.ts';
import { ProgressMeter, type Progress } from './progress.ts';

/** The bootloader ROMs all listen at 115200 after reset. */
export const ROM_BAUD = 115200;
/** Tried fastest first; a cheap USB-UART or a long cable may not hold the top rate. */
export const BAUD_LADDER: readonly number[] = [921600, 460800, 230400];

export interface DetectedBoard {
  chip: ChipFamily;
  /** what esptool-js calls it, e.g. "ESP8266EX", "ESP32-D0WD-V3 (revision v3.1)" */
  description: string;
  features: string;
  mac: string;
  flashSize: number;
  flashSizeName: FlashSizeValues;
  /** the baud the link settled at */
  baud: number;
}

export type FlashErrorCode =
  | 'no-port-chosen'
  | 'busy'
  | 'permission-denied'
  | 'unplugged'
  | 'no-bootloader'
  | 'unsupported'
  | 'unsupported-chip'
  | 'image'
  | 'verify-failed'
  | 'timeout'
  | 'cancelled'
  | 'failed';

export type FlashEvent =
  | { state: 'connecting' }
  | { state: 'detected'; board: DetectedBoard }
  | { state: 'reading'; progress: Progress }
  | { state: 'erasing' }
  | { state: 'writing'; progress: Progress }
  | { state: 'verifying' }
  | { state: 'done'; seconds: number }
  | { state: 'error'; code: FlashErrorCode; detail: string; problem?: ImageProblem };

export class FlashError extends DeviceError<FlashErrorCode> {
  constructor(
    code: FlashErrorCode,
    detail = '',
    readonly problem?: ImageProblem,
  ) {
    super('FlashError', code, detail);
  }
}

export interface ConnectOptions {
  /** pin one baud instead of trying the ladder */
  baud?: number;
  signal?: AbortSignal;
  onEvent?: (e: FlashEvent) => void;
  /** esptool-js's own log lines, for the person who wants the details */
  onLog?: (line: string) => void;
  /** reset-and-sync attempts before "hold BOOT" (esptool's default is 7) */
  attempts?: number;
  /**
   * A write that makes no progress for this long is given up as a timeout (default 20 s).
   * esptool-js has no write timeout: bytes that stop reaching the board would hang it forever.
   */
  stallTimeoutMs?: number;
}

const CHIP_BY_NAME: Readonly<Record<string, ChipFamily>> = {
  ESP8266: 'esp8266',
  ESP32: 'esp32',
  'ESP32-S2': 'esp32s2',
  'ESP32-S3': 'esp32s3',
  'ESP32-C3': 'esp32c3',
};

/** One write, measured: image and compressed sizes, seconds of the write and of the MD5 check. */
export interface WriteStats {
  imageBytes: number;
  compressedBytes: number;
  writeSeconds: number;
  verifySeconds: number;
}

export class FlashSession {
  private closed = false;
  private stats: WriteStats | undefined;
  private readonly unplug: UnplugWatch;

  private constructor(
    private readonly port: SerialPortLike,
    private readonly transport: Transport,
    private readonly loader: ESPLoader,
    readonly board: DetectedBoard,
    private opts: ConnectOptions,
  ) {
    this.unplug = watchUnplug(port);
  }

  /** Where this session's events go from now on, and the signal that cancels its next steps. */
  listen(onEvent: ((e: FlashEvent) => void) | undefined, signal?: AbortSignal): void {
    this.opts = { ...this.opts, onEvent, signal };
  }

  private fail(err: unknown): FlashError {
    return toFlashError(err, this.unplug.gone);
  }

  /** Reset the board into its bootloader, load the stub, settle the fastest baud, read what it is. */
  static async connect(port: SerialPortLike, opts: ConnectOptions = {}): Promise<FlashSession> {
    const emit = opts.onEvent ?? (() => undefined);
    emit({ state: 'connecting' });
    const ladder = opts.baud ? [opts.baud] : BAUD_LADDER;
    let last: unknown;
    const unplug = watchUnplug(port);
    try {
      for (const baud of ladder) {
        const transport = new Transport(port as unknown as ConstructorParameters<typeof Transport>[0]);
        // esptool-js 0.7 calls trace() in places without checking its own tracing switch
        // (esploader.js flash size, webserial.js device reference), and trace() always writes to
        // the console and grows a log in memory: silence it, the person's log is `terminal`.
        transport.trace = () => undefined;
        const loader = new ESPLoader({ transport, baudrate: baud, romBaudrate: ROM_BAUD, terminal: terminal(opts.onLog) });
        try {
          await guard(opts.signal, startLoader(loader, baud, opts.attempts ?? 7), () => transport.disconnect());
          // esptool-js falls back to the ROM's 115200 by itself when the switch fails; then the next
          // rung down is worth a try before settling for the slowest.
          if (transport.baudrate !== baud && baud !== ladder[ladder.length - 1]) {
            await release(transport, port);
            continue;
          }
          const board = await guard(opts.signal, describe(loader, transport.baudrate), () => transport.disconnect());
          emit({ state: 'detected', board });
          return new FlashSession(port, transport, loader, board, opts);
        } catch (err) {
          last = err;
          await release(transport, port);
          const e = toFlashError(err, unplug.gone);
          // Only a baud problem is worth another rung; everything else is final.
          if (e.code !== 'timeout' && e.code !== 'failed') throw e;
        }
      }
      throw toFlashError(last, unplug.gone);
    } finally {
      unplug.stop();
    }
  }

  /** Refuse an image before anything is erased: each reason in ImageProblem. */
  check(image: Uint8Array, offset = BOOT_OFFSET[this.board.chip]): ImageProblem | null {
    return checkImage(image, { chip: this.board.chip, flashSize: this.board.flashSize }, offset);
  }

  /** Read the whole flash, for a backup the person keeps. */
  async backup(): Promise<Uint8Array> {
    const emit = this.opts.onEvent ?? (() => undefined);
    const total = this.board.flashSize;
    const meter = new ProgressMeter(total);
    emit({ state: 'reading', progress: meter.at(0) });
    try {
      return await guard(
        this.opts.signal,
        this.loader.readFlash(0, total, (_packet, done) => emit({ state: 'reading', progress: meter.at(done) })),
        () => this.transport.disconnect(),
      );
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Erase (all of it, or only what the image covers), write compressed, verify by MD5. */
  async write(image: Uint8Array, options: { offset?: number; eraseAll?: boolean } = {}): Promise<void> {
    const emit = this.opts.onEvent ?? (() => undefined);
    const offset = options.offset ?? BOOT_OFFSET[this.board.chip];
    const problem = this.check(image, offset);
    if (problem) throw new FlashError('image', problem.code, problem);
    const started = performance.now();
    const stall = new StallWatch(this.opts.stallTimeoutMs ?? 20_000);
    // A board unplugged mid-write: stop at once rather than wait out a block's timeout.
    const unplugged = new AbortController();
    const onGone = (): void => unplugged.abort();
    this.port.addEventListener?.('disconnect', onGone);
    const signal = AbortSignal.any([...(this.opts.signal ? [this.opts.signal] : []), stall.signal, unplugged.signal]);
    const eraseAll = options.eraseAll ?? true;
    // Without a chip erase the stub erases as it writes; start that at a 64 KB block (blockStart).
    const start = eraseAll || !this.loader.IS_STUB ? offset : blockStart(this.board.chip, offset);
    // Compressing takes a moment of CPU: it runs while the chip erases, when it does.
    const prepared = this.prepare(image, offset, start);
    prepared.catch(() => undefined);
    try {
      if (eraseAll) {
        emit({ state: 'erasing' });
        await guard(this.opts.signal, this.loader.eraseFlash(), () => this.transport.disconnect());
      }
      stall.arm();
      await guard(signal, this.writeCompressed(prepared, start, start !== offset, stall, emit), () => this.transport.disconnect());
    } catch (err) {
      if (unplugged.signal.aborted || this.unplug.gone) throw new FlashError('unplugged', String((err as Error | null)?.message ?? err));
      if (stall.fired) throw new FlashError('timeout', `no progress for ${stall.ms / 1000} s`);
      throw this.fail(err);
    } finally {
      stall.disarm();
      this.port.removeEventListener?.('disconnect', onGone);
    }
    emit({ state: 'done', seconds: (performance.now() - started) / 1000 });
  }

  /** What the last write() measured: sizes, and seconds of the write and of the verify. */
  get lastWrite(): WriteStats | undefined {
    return this.stats;
  }

  /** The image as written from `start` (padded, ESP8266 header set from the chip), and compressed. */
  private async prepare(raw: Uint8Array, offset: number, start: number): Promise<{ image: Uint8Array; compressed: Uint8Array }> {
    const padded = raw.length % 4 === 0 ? raw : padFF(raw, Math.ceil(raw.length / 4) * 4);
    const image = await this.loader._updateImageFlashParams(
      padded,
      offset,
      // ESP8266: the size read from the chip, never "detect"/"keep" (esptool-js issues #120,
      // #254: MicroPython then cannot find its filesystem). ESP32-family images carry a SHA-256
      // over their header, so they are written exactly as built.
      this.board.chip === 'esp8266' ? esp8266FlashMode(this.board.flashSize) : 'keep',
      'keep',
      this.board.chip === 'esp8266' ? this.board.flashSizeName : 'keep',
    );
    const written = start === offset ? image : withBlankHead(image, offset - start);
    return { image: written, compressed: await deflate(written) };
  }

  /**
   * The write itself, with esptool-js's commands but our own loop. esptool-js 0.7's writeFlash
   * counts each block's uncompressed size with pako's Inflate at chunkSize 1 (one callback and one
   * array per output byte, esploader.js writeFlash): about 1.8 s of CPU per MB of image on the
   * critical path between blocks, so the link idles while it runs. Here the image is compressed
   * once (CompressionStream, zlib format as the stub inflates it) and the blocks go out back to
   * back; the stub acknowledges a block on receipt and writes it while the next one arrives.
   */
  private async writeCompressed(
    prepared: Promise<{ image: Uint8Array; compressed: Uint8Array }>,
    offset: number,
    markFirstSector: boolean,
    stall: StallWatch,
    emit: (e: FlashEvent) => void,
  ): Promise<void> {
    const loader = this.loader;
    const t0 = performance.now();
    const [{ image, compressed }] = await Promise.all([prepared, markFirstSector ? this.markSectorUsed(offset) : undefined]);
    let expected = '';
    const blockSize = loader.FLASH_WRITE_SIZE;
    const blocks = await loader.flashDeflBegin(image.length, compressed.length, offset);
    // The stub answers a block when it has it, then inflates, erases and writes it while the next
    // arrives: the wait for an answer can include a block's flash work. esptool allows 40 s per
    // MB of a block's inflated size; a block inflates to at most the whole image.
    const blockTimeout = Math.max(3000, loader.timeoutPerMb(loader.ERASE_WRITE_TIMEOUT_PER_MB, image.length));
    const meter = new ProgressMeter(compressed.length);
    emit({ state: 'writing', progress: meter.at(0) });
    for (let seq = 0; seq < blocks; seq++) {
      const block = compressed.subarray(seq * blockSize, Math.min((seq + 1) * blockSize, compressed.length));
      const sent = loader.flashDeflBlock(block, seq, seq === 0 ? 5000 : blockTimeout);
      // The image's MD5 for the verify, while the first block is on the wire.
      if (seq === 0) expected = bytesToHex(md5(image));
      await sent;
      stall.arm();
      emit({ state: 'writing', progress: meter.at(Math.min((seq + 1) * blockSize, compressed.length)) });
    }
    if (!expected) expected = bytesToHex(md5(image));
    await loader.flashDeflFinish(false, blockTimeout);
    const written = performance.now();
    this.opts.onLog?.(`Wrote ${image.length} bytes (${compressed.length} compressed) at 0x${offset.toString(16)} in ${((written - t0) / 1000).toFixed(2)} seconds.`);
    // The MD5 of a megabyte takes the chip a while (it reads and hashes it): not a stall.
    stall.disarm();
    emit({ state: 'verifying' });
    const actual = await loader.flashMd5sum(offset, image.length);
    const verified = performance.now();
    this.stats = {
      imageBytes: image.length,
      compressedBytes: compressed.length,
      writeSeconds: (written - t0) / 1000,
      verifySeconds: (verified - written) / 1000,
    };
    if (actual !== expected) throw new FlashError('verify-failed', `MD5 of file does not match data in flash! (${actual} ≠ ${expected})`);
    this.opts.onLog?.('Hash of data verified.');
  }

  /**
   * Program four 0x00 bytes at `offset`, so that the stub's blank check finds the sector used and
   * erases the whole 64 KB block from there in one go (see blockStart). Programming only clears
   * bits, so this needs no erase; the block erase that follows wipes it.
   */
  private async markSectorUsed(offset: number): Promise<void> {
    const loader = this.loader;
    const begin = new Uint8Array(16);
    const view = new DataView(begin.buffer);
    [4, 1, 4, offset].forEach((word, i) => view.setUint32(i * 4, word, true));
    await loader.checkCommand('begin flash', loader.ESP_FLASH_BEGIN, begin, 0, 0, loader.DEFAULT_TIMEOUT);
    await loader.flashBlock(new Uint8Array(4), 0, loader.DEFAULT_TIMEOUT);
  }

  /** Leave the bootloader: hard reset into the new firmware (via RTS), then close the port. */
  async close(options: { reset?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (options.reset ?? true) await hardReset(this.loader, this.port);
    } catch {
      // A board that is gone cannot be reset; closing below is all that is left to do.
    } finally {
      this.unplug.stop();
      await release(this.transport, this.port);
    }
  }
}

/**
 * Where to begin writing an image that belongs at `offset` when the stub erases as it writes.
 * The stub erases 64 KB blocks only from a block boundary, and skips sectors that read blank until
 * it meets a used one. An ESP32 or ESP32-S2 image goes at 0x1000, so over old firmware the stub
 * erases 15 single sectors before the first block (about 675 ms on a W25Q32 against 150 ms for
 * the block) and the link waits for them. Written from 0x0 instead, with 4 KB of 0xFF in front
 * and the first sector marked used (markSectorUsed), the stub starts one block erase when the
 * write begins, and it runs while the first block is on the wire. The sector below 0x1000 is not
 * used by those chips' ROMs (Secure Boot V1 keeps a digest there; such a chip would not boot an
 * unsigned MicroPython bootloader anyway), so nothing is lost. Any other offset is kept as it is:
 * what lies before an image written elsewhere may be the person's.
 */
export function blockStart(chip: ChipFamily, offset: number): number {
  return offset === 0x1000 && offset === BOOT_OFFSET[chip] ? 0 : offset;
}

/** The image with `blank` bytes of erased flash (0xFF) in front. */
function withBlankHead(image: Uint8Array, blank: number): Uint8Array {
  const out = new Uint8Array(blank + image.length).fill(0xff, 0, blank);
  out.set(image, blank);
  return out;
}

/** What esptool-js's main() does, with our number of attempts: sync, identify, stub, baud. */
async function startLoader(loader: ESPLoader, baud: number, attempts: number): Promise<void> {
  await loader.detectChip('default_reset', attempts);
  await loader.chip.postConnect?.(loader);
  await loader.runStub();
  if (baud !== ROM_BAUD) await loader.changeBaud();
}

/** Stop esptool-js's read loop (it holds the reader lock) and close the port. */
async function release(transport: Transport, port: SerialPortLike): Promise<void> {
  await Promise.race([transport.disconnect().catch(() => undefined), sleep(2000)]);
  detach(transport);
  await closeQuietly(port);
}

/** A port that refuses everything: what a released Transport is left holding. */
const DEAD_PORT: SerialPortLike = {
  readable: null,
  writable: null,
  open: () => Promise.reject(new FlashError('cancelled', 'port released')),
  close: () => Promise.resolve(),
  setSignals: () => Promise.reject(new FlashError('cancelled', 'port released')),
  getInfo: () => ({}),
};

/**
 * esptool-js has no cancel: a connect cut short goes on retrying in the background (its sync
 * attempts, even reopening the port to autodetect again), and would talk over the next session on
 * the same port. Take the port away from it.
 */
function detach(transport: Transport): void {
  (transport as unknown as { device: SerialPortLike }).device = DEAD_PORT;
}

/**
 * Reset into the application. esptool-js's HardReset only pulses RTS, but Web Serial's open()
 * raised DTR too, and with both lines up the two-transistor circuit keeps EN high, so nothing
 * happens (esptool-js issue #177). esptool.py pulses RTS with DTR low: do that. Espressif's
 * native USB has no such circuit and esptool-js knows its sequence.
 */
async function hardReset(loader: ESPLoader, port: SerialPortLike): Promise<void> {
  const info = port.getInfo();
  // USB-Serial-JTAG (303a:1001) resets the chip while RTS is asserted and DTR is not: esptool.py's
  // HardReset asserts RTS first, esptool-js's USB variant only releases it (already released after
  // its USB-JTAG reset sequence), so the chip stayed in the stub. Pulse RTS as for a bridge.
  if (info.usbVendorId === 0x303a && info.usbProductId !== 0x1001) {
    await loader.after('hard_reset', true);
    return;
  }
  // On USB-Serial-JTAG, going from DTR and RTS both up (a reopened port) straight to RTS alone is
  // esptool's step into download mode: drop both first, as esptool's own line state is by then.
  if (info.usbVendorId === 0x303a) await port.setSignals({ dataTerminalReady: false, requestToSend: false });
  await resetIntoProgram(port);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function describe(loader: ESPLoader, baud: number): Promise<DetectedBoard> {
  const name = loader.chip.CHIP_NAME;
  const chip = CHIP_BY_NAME[name];
  if (!chip) throw new FlashError('unsupported-chip', name);
  const flashSizeName = (await loader.detectFlashSize()) as FlashSizeValues | undefined;
  if (!flashSizeName) throw new FlashError('failed', 'flash size not detected');
  return {
    chip,
    description: await loader.chip.getChipDescription(loader),
    features: String(await loader.chip.getChipFeatures(loader)),
    mac: await loader.chip.readMac(loader),
    flashSize: loader.flashSizeBytes(flashSizeName),
    flashSizeName,
    baud,
  };
}

/** DIO suits ESP-12 style modules; the 1 MB ESP8285/ESP-01 parts need the slower DOUT. */
function esp8266FlashMode(flashSize: number): 'dio' | 'dout' {
  return flashSize <= 1024 * 1024 ? 'dout' : 'dio';
}

function terminal(onLog?: (line: string) => void): IEspLoaderTerminal {
  let partial = '';
  return {
    clean: () => undefined,
    write: (data) => {
      partial += data;
    },
    writeLine: (data) => {
      onLog?.(partial + data);
      partial = '';
    },
  };
}

/**
 * Race esptool-js against the person's Cancel. esptool-js has no abort of its own, so on cancel
 * the port is closed under it (its pending read then fails, and that failure is swallowed).
 */
async function guard<T>(signal: AbortSignal | undefined, work: Promise<T>, stop: () => Promise<void>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    await stop().catch(() => undefined);
    throw new FlashError('cancelled');
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      work.catch(() => undefined);
      void stop().catch(() => undefined);
      reject(new FlashError('cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Fires its signal when armed and not re-armed within `ms`: a write that stopped moving. */
class StallWatch {
  private readonly ctl = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly ms: number) {}
  get signal(): AbortSignal {
    return this.ctl.signal;
  }
  get fired(): boolean {
    return this.ctl.signal.aborted;
  }
  arm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.ctl.abort(), this.ms);
  }
  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface UnplugWatch {
  readonly gone: boolean;
  stop(): void;
}

/** Web Serial fires `disconnect` on the port when its device goes away: remember that. */
function watchUnplug(port: SerialPortLike): UnplugWatch {
  let gone = false;
  const onGone = () => {
    gone = true;
  };
  port.addEventListener?.('disconnect', onGone);
  return {
    get gone() {
      return gone;
    },
    stop: () => port.removeEventListener?.('disconnect', onGone),
  };
}

/** esptool-js reports everything as a message; sort it into what a person can act on. */
export function toFlashError(err: unknown, unplugged = false): FlashError {
  if (err instanceof FlashError && !(unplugged && err.code !== 'cancelled')) return err;
  if (err instanceof PortError) return new FlashError(err.code === 'in-use-here' ? 'busy' : err.code, err.detail);
  const message = String((err as { message?: string } | null)?.message ?? err);
  const name = (err as { name?: string } | null)?.name ?? '';
  // Once the device is gone, whatever esptool-js made of it (noise, timeouts), it was unplugged.
  if (unplugged) return new FlashError('unplugged', message);
  if (/Failed to connect with the device/i.test(message)) return new FlashError('no-bootloader', message);
  if (/MD5 of file does not match/i.test(message)) return new FlashError('verify-failed', message);
  if (name === 'NetworkError' || name === 'SecurityError' || name === 'NotFoundError' || name === 'InvalidStateError') {
    const p = classifyPortError(err, 'open');
    return new FlashError(p.code === 'in-use-here' ? 'busy' : p.code, message);
  }
  if (/lost|disconnect|unplug/i.test(message)) return new FlashError('unplugged', message);
  if (name === 'TimeoutError' || /timeout|timed out/i.test(message)) return new FlashError('timeout', message);
  return new FlashError('failed', message);
}

function padFF(data: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  out.set(data);
  return out;
}

/** zlib-format deflate (what the stub's FLASH_DEFL_* inflate), with the platform's compressor. */
async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
