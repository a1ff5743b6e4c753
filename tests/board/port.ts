// The host end as a Web Serial SerialPort (WICG Web Serial: open/close, readable/writable created
// on demand while open, setSignals/getSignals, getInfo, connect/disconnect events), so
// `new Transport(port)` from esptool-js and our own device layer use it unchanged.
//
// Like Chrome on Linux: opening raises DTR and RTS, closing drops them (the auto-reset circuit
// ignores both changes); an unplug errors both streams with a NetworkError DOMException
// ("The device has been lost."), and the port cannot be opened until it is plugged back in.
import type { Link } from './link.ts';

export interface VirtualSerialOptions {
  baudRate: number;
  dataBits?: number;
  stopBits?: number;
  parity?: string;
  bufferSize?: number;
  flowControl?: string;
}

export interface VirtualSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export interface VirtualPortHooks {
  link: Link;
  info: { usbVendorId: number; usbProductId: number };
  /** DTR/RTS changed (after open/close, or setSignals) */
  signals(dtr: boolean, rts: boolean): void;
}

const lost = (): DOMException => new DOMException('The device has been lost.', 'NetworkError');

export class VirtualSerialPort extends EventTarget {
  private isOpen = false;
  private readableStream: ReadableStream<Uint8Array> | null = null;
  private readController: ReadableStreamDefaultController<Uint8Array> | null = null;
  private writableStream: WritableStream<Uint8Array> | null = null;
  private writeController: WritableStreamDefaultController | null = null;
  private dtr = false;
  private rts = false;
  private gone = false;
  onconnect: ((ev: Event) => void) | null = null;
  ondisconnect: ((ev: Event) => void) | null = null;

  constructor(private readonly hooks: VirtualPortHooks) {
    super();
    hooks.link.onHostReceive((bytes) => {
      this.readController?.enqueue(Uint8Array.from(bytes));
    });
  }

  get connected(): boolean {
    return !this.gone;
  }

  getInfo(): { usbVendorId: number; usbProductId: number } {
    return { ...this.hooks.info };
  }

  async open(options: VirtualSerialOptions): Promise<void> {
    if (this.gone) throw lost();
    if (this.isOpen) throw new DOMException('The port is already open.', 'InvalidStateError');
    if (!options || !Number.isInteger(options.baudRate) || options.baudRate <= 0) {
      throw new TypeError('Requested baud rate must be a positive integer.');
    }
    const link = this.hooks.link;
    link.hostBaud = options.baudRate;
    link.hostOpen = true;
    this.isOpen = true;
    this.setLines(true, true);
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (!this.isOpen || this.gone) return this.readableStream;
    if (!this.readableStream) {
      this.readableStream = new ReadableStream<Uint8Array>({
        start: (c) => {
          this.readController = c;
        },
        cancel: () => {
          this.readController = null;
          this.readableStream = null;
        },
      });
    }
    return this.readableStream;
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (!this.isOpen || this.gone) return this.writableStream;
    if (!this.writableStream) {
      const link = this.hooks.link;
      this.writableStream = new WritableStream<Uint8Array>({
        start: (c) => {
          this.writeController = c;
        },
        write: async (chunk) => {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('chunk must be a Uint8Array');
          await link.hostSend(Uint8Array.from(chunk));
        },
        close: () => {
          this.writableStream = null;
          this.writeController = null;
        },
        abort: () => {
          link.toBoard.flush();
          this.writableStream = null;
          this.writeController = null;
        },
      });
    }
    return this.writableStream;
  }

  async setSignals(signals: VirtualSignals): Promise<void> {
    if (this.gone) throw lost();
    if (!this.isOpen) throw new DOMException('The port is closed.', 'InvalidStateError');
    this.setLines(signals.dataTerminalReady ?? this.dtr, signals.requestToSend ?? this.rts);
  }

  async getSignals(): Promise<{ dataCarrierDetect: boolean; clearToSend: boolean; ringIndicator: boolean; dataSetReady: boolean }> {
    if (this.gone) throw lost();
    if (!this.isOpen) throw new DOMException('The port is closed.', 'InvalidStateError');
    return { dataCarrierDetect: false, clearToSend: false, ringIndicator: false, dataSetReady: false };
  }

  async close(): Promise<void> {
    if (!this.isOpen) {
      if (this.gone) return;
      throw new DOMException('The port is already closed.', 'InvalidStateError');
    }
    if (this.readableStream?.locked || this.writableStream?.locked) {
      throw new DOMException('The port is locked.', 'InvalidStateError');
    }
    await this.readableStream?.cancel().catch(() => {});
    await this.writableStream?.close().catch(() => {});
    this.finishClose();
  }

  async forget(): Promise<void> {
    if (this.isOpen) await this.close().catch(() => {});
  }

  private finishClose(): void {
    this.readableStream = null;
    this.readController = null;
    this.writableStream = null;
    this.writeController = null;
    this.isOpen = false;
    const link = this.hooks.link;
    link.hostOpen = false;
    link.toBoard.flush();
    if (!this.gone) this.setLines(false, false);
  }

  private setLines(dtr: boolean, rts: boolean): void {
    if (dtr === this.dtr && rts === this.rts) return;
    this.dtr = dtr;
    this.rts = rts;
    this.hooks.signals(dtr, rts);
  }

  /** Cable pulled: streams error, the port is gone until replug. */
  unplug(): void {
    if (this.gone) return;
    this.goAway(lost(), (err) => {
      this.hooks.link.toBoard.kill(err);
      this.hooks.link.toHost.kill(err);
    });
  }

  /**
   * Espressif's native USB re-enumerating: this port object is gone for good (its streams error,
   * `disconnect` fires) while the chip runs on; the board makes a new port for the new device.
   */
  vanish(): void {
    if (this.gone) return;
    this.goAway(lost(), () => {
      this.hooks.link.toBoard.flush();
      this.hooks.link.toHost.flush();
    });
  }

  /** What unplug and vanish share: the streams error, `cut` acts on the link, the port is closed,
   *  `disconnect` fires. */
  private goAway(err: Error, cut: (err: Error) => void): void {
    this.gone = true;
    this.readController?.error(err);
    this.writeController?.error(err);
    cut(err);
    this.hooks.link.hostOpen = false;
    this.isOpen = false;
    this.readableStream = null;
    this.writableStream = null;
    this.readController = null;
    this.writeController = null;
    this.dtr = false;
    this.rts = false;
    const ev = new Event('disconnect');
    this.ondisconnect?.(ev);
    this.dispatchEvent(ev);
  }

  replug(): void {
    if (!this.gone) return;
    this.gone = false;
    this.hooks.link.toBoard.revive();
    this.hooks.link.toHost.revive();
    const ev = new Event('connect');
    this.onconnect?.(ev);
    this.dispatchEvent(ev);
  }
}
