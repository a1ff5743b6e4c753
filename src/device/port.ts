// The one port type every layer uses (docs/contracts.md, "The port"): a Web-Serial-shaped port
// (Web Serial, WebUSB through a polyfill, or the virtual board in tests) and the rule that one
// user holds it at a time. The flasher, the REPL and the console each take it, open it at the baud
// they need, and give it back closed.
import { DeviceError } from './device-error.ts';

export interface SerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export interface SerialOpenOptions {
  baudRate: number;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  parity?: 'none' | 'even' | 'odd';
  bufferSize?: number;
  flowControl?: 'none' | 'hardware';
}

export interface SerialPortInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

/** What Web Serial's SerialPort, WebUSB polyfills and the virtual board all have. */
export interface SerialPortLike {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: SerialOpenOptions): Promise<void>;
  close(): Promise<void>;
  setSignals(signals: SerialSignals): Promise<void>;
  getInfo(): SerialPortInfo;
  addEventListener?(type: 'disconnect', listener: () => void): void;
  removeEventListener?(type: 'disconnect', listener: () => void): void;
}

/** What a person can do something about, told apart (ui/ turns each into a sentence). */
export type PortErrorCode = 'no-port-chosen' | 'busy' | 'permission-denied' | 'unplugged' | 'unsupported' | 'in-use-here';

export class PortError extends DeviceError<PortErrorCode> {
  constructor(code: PortErrorCode, detail = '') {
    super('PortError', code, detail);
  }
}

/**
 * Classify what Web Serial threw. Names are from the Web Serial spec and Chromium:
 * requestPort() with nothing picked → NotFoundError; open() on a port another program holds →
 * NetworkError ("Failed to open serial port"); a blocked or revoked permission → SecurityError;
 * reading from a port whose device went away → NetworkError ("The device has been lost") or
 * the `disconnect` event.
 */
export function classifyPortError(err: unknown, during: 'choose' | 'open' | 'use'): PortError {
  if (err instanceof PortError) return err;
  const name = (err as { name?: string } | null)?.name ?? '';
  const message = String((err as { message?: string } | null)?.message ?? err);
  if (during === 'choose' && (name === 'NotFoundError' || name === 'AbortError')) return new PortError('no-port-chosen', message);
  if (name === 'SecurityError' || name === 'NotAllowedError') return new PortError('permission-denied', message);
  if (during === 'open' && (name === 'NetworkError' || name === 'InvalidStateError' || /busy|in use|failed to open/i.test(message))) {
    return new PortError('busy', message);
  }
  if (/lost|disconnect|unplug|gone|not open|closed/i.test(message) || name === 'NotFoundError' || name === 'NetworkError') {
    return new PortError('unplugged', message);
  }
  return new PortError(during === 'open' ? 'busy' : 'unplugged', message);
}

/** USB bridges found on ESP boards, so the chooser lists boards first (vendor ids from usb.ids). */
export const ESP_USB_FILTERS: readonly SerialPortInfo[] = [
  { usbVendorId: 0x10c4 }, // Silicon Labs CP210x
  { usbVendorId: 0x1a86 }, // WCH CH340 / CH9102
  { usbVendorId: 0x0403 }, // FTDI
  { usbVendorId: 0x303a }, // Espressif native USB (S2, S3, C3)
];

export type PortUser = 'flasher' | 'repl' | 'console';

/**
 * The board's port and who holds it. `take` waits for nobody: if another user holds the port it
 * refuses (the UI must say "the console is using the board"), because two readers on one serial
 * stream each get half the bytes.
 */
export class BoardPort {
  private holder: PortUser | null = null;
  private lost = false;
  private readonly onDisconnect = () => {
    this.lost = true;
  };

  constructor(readonly raw: SerialPortLike) {
    raw.addEventListener?.('disconnect', this.onDisconnect);
  }

  get info(): SerialPortInfo {
    return this.raw.getInfo();
  }

  get heldBy(): PortUser | null {
    return this.holder;
  }

  get unplugged(): boolean {
    return this.lost;
  }

  /** Espressif's own USB (S2/S3/C3): the port re-enumerates after a reset and must be picked again. */
  get isNativeUsb(): boolean {
    return this.info.usbVendorId === 0x303a;
  }

  /**
   * Take the port for `user`. It is handed over closed; the user opens it at its own baud
   * (esptool-js opens it itself) and `release` closes it whatever state it was left in.
   */
  take(user: PortUser): PortLease {
    if (this.lost) throw new PortError('unplugged');
    if (this.holder) throw new PortError('in-use-here', this.holder);
    this.holder = user;
    return {
      port: this.raw,
      release: async () => {
        if (this.holder !== user) return;
        try {
          await closeQuietly(this.raw);
        } finally {
          this.holder = null;
        }
      },
    };
  }

  dispose(): void {
    this.raw.removeEventListener?.('disconnect', this.onDisconnect);
  }
}

export interface PortLease {
  port: SerialPortLike;
  release(): Promise<void>;
}

/** Close a port whatever state its streams are in (locked, errored, already closed). */
export async function closeQuietly(port: SerialPortLike): Promise<void> {
  // A write stuck in another library (esptool-js has no write timeout) holds the writer's lock,
  // and Web Serial refuses to close a port with a locked stream: close it once the write lets go.
  if (port.writable?.locked) {
    void closeWhenUnlocked(port);
    return;
  }
  try {
    if (port.readable?.locked === false) await port.readable.cancel().catch(() => undefined);
    if (port.writable?.locked === false) await port.writable.abort().catch(() => undefined);
    if (port.readable || port.writable) await port.close();
  } catch {
    // Already closed, or the device is gone: either way nothing is left open.
  }
}

async function closeWhenUnlocked(port: SerialPortLike, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (port.writable?.locked && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (!port.writable?.locked) await closeQuietly(port);
}

/**
 * Restart the board into its program: EN low for 100 ms with IO0 high, through the usual
 * two-transistor circuit (RTS → EN, DTR → IO0), with DTR low as esptool.py's hard reset does.
 */
export async function resetIntoProgram(port: SerialPortLike): Promise<void> {
  await port.setSignals({ dataTerminalReady: false, requestToSend: true });
  await new Promise((r) => setTimeout(r, 100));
  await port.setSignals({ dataTerminalReady: false, requestToSend: false });
}

/** The browser's serial API as port choosing needs it, passed in from ui/ (no DOM here). */
export interface SerialChooser {
  requestPort(options?: { filters?: SerialPortInfo[] }): Promise<SerialPortLike>;
}

/** Ask the person for a port; `showAll` lists ports that are not known ESP USB bridges too. */
export async function choosePort(serial: SerialChooser, showAll = false): Promise<BoardPort> {
  try {
    const raw = await serial.requestPort(showAll ? {} : { filters: [...ESP_USB_FILTERS] });
    return new BoardPort(raw);
  } catch (err) {
    throw classifyPortError(err, 'choose');
  }
}
