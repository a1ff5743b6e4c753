// createBoard(): the virtual board of CONTRACTS.md ("The virtual board"). One call builds the
// chip, its flash, the cable and the host's port; the handles below are what tests, the
// benchmarks and the adapters (RFC 2217, WebSocket bridge) use.
import type { AccessPoint, BoardAppFactory, ChipName } from './app.ts';
import { BoardCore, type BoardState } from './board.ts';
import { CHIPS, Registers, parseMac } from './chip.ts';
import { NorFlash } from './flash.ts';
import { Link, type Direction, type FaultSpec } from './link.ts';
import { VirtualSerialPort } from './port.ts';
import { AutoReset, type ResetCircuit } from './reset-circuit.ts';
import { within } from './within.ts';

export type { AccessPoint, BoardApp, BoardAppContext, BoardAppFactory, ChipName } from './app.ts';
export type { BoardState } from './board.ts';
export type { Direction, FaultSpec } from './link.ts';
export type { ResetCircuit } from './reset-circuit.ts';
export { VirtualSerialPort } from './port.ts';
export { testImage, checkImage, buildImage, deflateRatio, TEST_IMAGE_SIZE } from './image.ts';
export { eraseTimeMs, chipEraseTimeMs, programTimeMs, md5TimeMs, MD5_MS_PER_MB, SECTOR_SIZE } from './flash.ts';
export { ECHO_GREETING } from './echo-app.ts';

export interface BoardOptions {
  chip: ChipName;
  /** bytes or '512KB' … '16MB'; default 4MB */
  flashSize?: number | string;
  /** 'aa:bb:cc:dd:ee:ff'; default per chip (Espressif OUI) */
  mac?: string;
  /** Wi-Fi access points the application can join (part 2) */
  accessPoints?: AccessPoint[];
  /** false = firmware without raw-paste mode (part 2); default true */
  rawPaste?: boolean;
  /** false = no DTR/RTS circuit (a bare module: only board.reset() resets it); default true */
  autoReset?: boolean;
  /**
   * which circuit turns DTR/RTS into EN/IO0 when autoReset: two-transistor (a USB-UART bridge) or
   * the chip's own USB-Serial-JTAG (port 303a:1001). Default: the chip's usual board (ESP32-C3
   * usb-serial-jtag, the others two-transistor; an ESP32-S3 takes either).
   */
  resetCircuit?: Exclude<ResetCircuit, 'none'>;
  /**
   * The USB device goes away with a reset that boots the firmware and comes back as a new port
   * (`board.port` changes, `board.usb` fires `port`). Default: on for an ESP32-C3 or -S3 on its
   * USB-Serial-JTAG, off otherwise (the ESP32 wired as USB-Serial-JTAG keeps its port).
   */
  renumerate?: boolean;
  /** above this baud the link garbles (a cheap USB-UART or long wires); default 2 000 000 */
  maxBaud?: number;
  /** 1 = real time; 0.05 = twenty times faster (line and flash timings scale alike); default 1 */
  timeScale?: number;
  /** SPI_FLASH_MD5 ms per MB instead of the per-chip model (flash.ts, MD5_MS_PER_MB) */
  md5MsPerMb?: number;
  /** what runs after a normal boot; default an echo application */
  app?: BoardAppFactory;
  /** flash contents at power-on (written at offset 0) */
  flashImage?: Uint8Array;
}

export interface FlashHandle {
  readonly size: number;
  /** the live bytes (SharedArrayBuffer-backed) */
  readonly bytes: Uint8Array;
  read(offset: number, length: number): Uint8Array;
  /** Put bytes in flash as if a programmer had written them (no timing, no NOR rules). */
  preload(offset: number, data: Uint8Array): void;
  /** Erased (all 0xFF) between offset and offset+length? */
  isErased(offset: number, length: number): boolean;
  /** Modelled flash time spent so far (board ms, before timeScale). */
  stats(): { eraseMs: number; programMs: number };
}

export interface FaultHandle {
  drop(spec?: FaultSpec): void;
  flip(spec?: FaultSpec): void;
  /** Bytes stop moving (senders block once the buffers fill); clear() lets them go on. */
  stall(direction?: Direction | 'both'): void;
  /** Cable pulled: the port's streams error, the port is gone, the board loses power. */
  unplug(): void;
  /** Same board back: flash intact, it boots normally, the port can be opened again. */
  replug(): void;
  /** Remove drop/flip/stall. */
  clear(): void;
}

export interface GpioHandle {
  read(pin: number): 0 | 1;
  /** Resolves when the pin is at `level`; rejects after timeoutMs (real ms). */
  waitFor(pin: number, level: 0 | 1, timeoutMs?: number): Promise<void>;
}

/** Board time from a USB device's reset to its new port being there (host enumeration). */
export const USB_ENUMERATION_MS = 600;

export interface Board {
  readonly chip: ChipName;
  readonly mac: Uint8Array;
  readonly options: Readonly<Required<Pick<BoardOptions, 'timeScale' | 'maxBaud' | 'autoReset' | 'rawPaste'>>>;
  /**
   * Web-Serial-shaped port: `new Transport(board.port)` works unchanged. On a re-enumerating
   * native-USB board this is the port of the moment: after a reset a new object.
   */
  readonly port: VirtualSerialPort;
  /** fires `port` (an Event with `.port`) when a re-enumerated port appears */
  readonly usb: EventTarget;
  /** Resolves with the next port that appears after a re-enumeration (rejects after timeoutMs). */
  nextPort(timeoutMs?: number): Promise<VirtualSerialPort>;
  readonly flash: FlashHandle;
  readonly gpio: GpioHandle;
  readonly faults: FaultHandle;
  /** what the board is doing */
  readonly state: BoardState;
  /** Resolves when the board reaches `state`; rejects after timeoutMs (real ms). */
  waitForState(state: BoardState, timeoutMs?: number): Promise<void>;
  /** The buttons: RESET alone boots normally, RESET with BOOT held enters download mode. */
  reset(opts?: { download?: boolean }): void;
  /** The UART's current baud on the board side. */
  readonly baud: number;
  /** Power off for good: stops the application and timers. */
  close(): Promise<void>;
}

const USB_SERIAL_JTAG = { usbVendorId: 0x303a, usbProductId: 0x1001 };
/** A USB-UART bridge for a chip whose usual board is on its own USB (CP2102N). */
const BRIDGE = { usbVendorId: 0x10c4, usbProductId: 0xea60 };

function defaultCircuit(usb: { usbVendorId: number }): Exclude<ResetCircuit, 'none'> {
  return usb.usbVendorId === USB_SERIAL_JTAG.usbVendorId ? 'usb-serial-jtag' : 'two-transistor';
}

export function parseFlashSize(v: number | string | undefined): number {
  if (v === undefined) return 4 * 1024 * 1024;
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(KB|MB)$/i.exec(v.trim());
  if (!m) throw new RangeError(`bad flash size ${v}`);
  return Number(m[1]) * (m[2]!.toUpperCase() === 'KB' ? 1024 : 1024 * 1024);
}

export function createBoard(options: BoardOptions): Board {
  const spec = CHIPS[options.chip];
  if (!spec) throw new RangeError(`unknown chip ${String(options.chip)}`);
  const timeScale = options.timeScale ?? 1;
  const maxBaud = options.maxBaud ?? 2_000_000;
  const autoReset = options.autoReset ?? true;
  const rawPaste = options.rawPaste ?? true;
  const mac = parseMac(options.mac ?? spec.defaultMac);
  const flash = new NorFlash(parseFlashSize(options.flashSize));
  if (options.flashImage) flash.bytes.set(options.flashImage.subarray(0, flash.size), 0);
  const kind = options.resetCircuit ?? defaultCircuit(spec.usb);
  // A chip on its own USB-Serial-JTAG (C3, S3) talks USB: no baud, whole packets. The ESP32 wired
  // as USB-Serial-JTAG is a stand-in for the reset sequence only and keeps its UART.
  const nativeUsb = autoReset && kind === 'usb-serial-jtag' && spec.securityChipId !== undefined;
  const link = new Link({ timeScale, maxBaud, ...(nativeUsb ? { usb: true } : {}) });
  const regs = new Registers(spec, mac, flash.size, () => link.boardBaud);
  const core = new BoardCore({
    spec,
    mac,
    flash,
    regs,
    link,
    timeScale,
    accessPoints: options.accessPoints ?? [],
    rawPaste,
    ...(options.md5MsPerMb !== undefined ? { md5MsPerMb: options.md5MsPerMb } : {}),
    ...(options.app ? { app: options.app } : {}),
    usbJtag: autoReset && (options.resetCircuit ?? defaultCircuit(spec.usb)) === 'usb-serial-jtag',
    onBoot: (download, cause) => {
      // The chip's USB-Serial-JTAG re-enumerates when the chip resets into its firmware (by the
      // USB's own reset signals, a software reset or the ROM's reboot); entering download mode
      // keeps it, so esptool goes on on the same port.
      if (renumerate && !download && (cause === 'external' || cause === 'software')) reenumerate();
    },
  });
  const circuit = new AutoReset(autoReset ? kind : 'none');
  const renumerate = options.renumerate ?? nativeUsb;
  let en = true;
  let closed = false;
  const usb = new EventTarget();
  let usbGeneration = 0;

  const onSignals = (dtr: boolean, rts: boolean): void => {
    if (closed) return;
    const pins = circuit.apply({ dtr, rts });
    if (pins.en === en) return;
    en = pins.en;
    if (!en) {
      core.hold();
    } else {
      // The ROM samples GPIO0 as EN rises: low = download mode.
      circuit.consumed();
      core.boot(!pins.io0, 'external');
    }
  };

  const info = autoReset && kind === 'usb-serial-jtag' ? USB_SERIAL_JTAG : kind === 'two-transistor' && spec.usb.usbVendorId === USB_SERIAL_JTAG.usbVendorId ? BRIDGE : spec.usb;
  let port = new VirtualSerialPort({ link, info, signals: onSignals });

  function reenumerate(): void {
    const old = port;
    if (!old.connected) return;
    const generation = ++usbGeneration;
    // After the caller's setSignals has resolved, as a device drops off the bus.
    queueMicrotask(() => {
      if (closed || old !== port) return;
      circuit.apply({ dtr: false, rts: false });
      old.vanish();
      setTimeout(() => {
        if (closed || generation !== usbGeneration) return;
        port = new VirtualSerialPort({ link, info, signals: onSignals });
        const ev = Object.assign(new Event('port'), { port });
        usb.dispatchEvent(ev);
      }, USB_ENUMERATION_MS * timeScale);
    });
  }

  // Power on.
  core.boot(false, 'power-on');

  const board: Board = {
    chip: spec.name,
    mac,
    options: { timeScale, maxBaud, autoReset, rawPaste },
    get port() {
      return port;
    },
    usb,
    nextPort: (timeoutMs = 10_000) =>
      within(
        timeoutMs,
        new Promise<VirtualSerialPort>((resolve) => usb.addEventListener('port', (e) => resolve((e as Event & { port: VirtualSerialPort }).port), { once: true })),
        'a re-enumerated port',
      ),
    flash: {
      size: flash.size,
      bytes: flash.bytes,
      read: (o, l) => flash.read(o, l),
      preload: (o, d) => {
        if (!flash.inRange(o, d.length)) throw new RangeError('preload outside flash');
        flash.bytes.set(d, o);
      },
      isErased: (o, l) => flash.isBlank(o, l),
      stats: () => ({ eraseMs: flash.eraseMs, programMs: flash.programMs }),
    },
    gpio: {
      read: (pin) => core.getGpio(pin),
      waitFor: (pin, level, timeoutMs = 10_000) => within(timeoutMs, core.waitGpio(pin, level), `GPIO${pin}=${level}`),
    },
    faults: {
      drop: (spec = {}) => link.wires(spec.direction).forEach((w) => w.addFault('drop', spec)),
      flip: (spec = {}) => link.wires(spec.direction).forEach((w) => w.addFault('flip', spec)),
      stall: (direction = 'both') => link.wires(direction).forEach((w) => w.stall()),
      clear: () => link.wires('both').forEach((w) => w.clear()),
      unplug: () => {
        port.unplug();
        en = true;
        core.hold('off');
      },
      replug: () => {
        if (port.connected) return;
        port.replug();
        en = true;
        core.boot(false, 'power-on');
      },
    },
    get state() {
      return core.state;
    },
    waitForState: (s, timeoutMs = 10_000) => within(timeoutMs, core.whenState(s), `board state ${s}`),
    reset: (opts = {}) => {
      if (closed || !port.connected) return;
      core.boot(opts.download ?? false, 'external');
    },
    get baud() {
      return link.boardBaud;
    },
    close: async () => {
      closed = true;
      usbGeneration++;
      core.hold('off');
      link.toBoard.kill(new Error('board closed'));
      link.toHost.kill(new Error('board closed'));
    },
  };
  return board;
}
