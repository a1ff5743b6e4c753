// A `navigator.serial` stand-in for the page: requestPort() returns a port backed by a virtual
// board in the test's Node process, reached over the WebSocket bridge (tests/board/ws-bridge.ts).
// It behaves as Chrome's Web Serial does where the app can tell (errors by name and message,
// streams that come back after cancel/close, `disconnect` on unplug), and it wraps a real
// `navigator.serial` rather than replacing it: when the bridge offers no board, or the request's
// filters exclude it, the real chooser runs, and getPorts() lists real and virtual ports.
// Runs in the browser only; bundled to one script by tests/board/standin-bundle.ts.

import {
  BOARD_EVENT,
  type BoardEventDetail,
  type BridgeMessage,
  type PageMessage,
  type WireError,
  type WirePortInfo,
} from './bridge-protocol.ts';

interface PortFilter {
  usbVendorId?: number;
  usbProductId?: number;
}

interface RequestOptions {
  filters?: PortFilter[];
}

/** The parts of Web Serial's `Serial` this stand-in provides (TypeScript's DOM lib has none). */
interface SerialApi extends EventTarget {
  requestPort(options?: RequestOptions): Promise<unknown>;
  getPorts(): Promise<unknown[]>;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

type Pending = { resolve: () => void; reject: (error: unknown) => void };

const lostError = (): DOMException => new DOMException('The device has been lost.', 'NetworkError');

function toError(error: WireError): Error {
  // TypeError keeps its class; everything else the browser raises is a DOMException.
  return error.name === 'TypeError' ? new TypeError(error.message) : new DOMException(error.message, error.name);
}

/** One WebSocket to the bridge for one port: requests with ids, data both ways. */
class BridgeConnection {
  board: string | null = null;
  info: WirePortInfo = {};
  onData: (bytes: Uint8Array<ArrayBuffer>) => void = () => undefined;
  onLost: () => void = () => undefined;
  onReplugged: () => void = () => undefined;
  onRenumerated: () => void = () => undefined;

  disposed = false;
  private nextId = 1;
  private readonly requests = new Map<number, Pending>();
  private readonly writes: Pending[] = [];

  private constructor(private readonly ws: WebSocket) {}

  static async connect(url: string): Promise<BridgeConnection> {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const conn = new BridgeConnection(ws);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('message', (event) => {
        const first = conn.onMessage(event.data);
        if (first) resolve();
      });
      ws.addEventListener('error', () => reject(new DOMException('No port selected by the user.', 'NotFoundError')));
      ws.addEventListener('close', () => {
        reject(new DOMException('No port selected by the user.', 'NotFoundError'));
        conn.failAll();
        // The bridge going away (its test ended) is the board going away; forget() is not.
        if (!conn.disposed) conn.onLost();
      });
    });
    return conn;
  }

  request(message: WithoutId<PageMessage>): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(lostError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(lostError());
    return new Promise((resolve, reject) => {
      this.writes.push({ resolve, reject });
      this.ws.send(new Uint8Array(bytes));
    });
  }

  /** Every request still waiting fails as the device being lost. */
  failAll(): void {
    for (const pending of [...this.requests.values(), ...this.writes]) pending.reject(lostError());
    this.requests.clear();
    this.writes.length = 0;
  }

  dispose(): void {
    this.disposed = true;
    this.ws.close();
  }

  /** Returns true for the hello. */
  private onMessage(data: unknown): boolean {
    if (data instanceof ArrayBuffer) {
      this.onData(new Uint8Array(data));
      return false;
    }
    const message = JSON.parse(String(data)) as BridgeMessage;
    switch (message.t) {
      case 'hello':
        this.board = message.board;
        this.info = message.info;
        return true;
      case 'result': {
        const pending = this.requests.get(message.id);
        this.requests.delete(message.id);
        if (message.error) pending?.reject(toError(message.error));
        else pending?.resolve();
        break;
      }
      case 'written': {
        const pending = this.writes.shift();
        if (message.error) pending?.reject(toError(message.error));
        else pending?.resolve();
        break;
      }
      case 'lost':
        this.failAll();
        this.onLost();
        break;
      case 'replugged':
        this.onReplugged();
        break;
      case 'renumerated':
        this.onRenumerated();
        break;
      case 'gpio':
        if (this.board !== null) {
          const detail: BoardEventDetail = { board: this.board, kind: 'gpio', pin: message.pin, level: message.level };
          window.dispatchEvent(new CustomEvent(BOARD_EVENT, { detail }));
        }
        break;
    }
    return false;
  }
}

/** Bytes the board sent while no readable stream existed wait here, as in the OS's tty buffer;
 *  beyond this many the oldest are lost (Linux's n_tty buffer is 4 KiB). */
const PENDING_READ_LIMIT = 4096;

class VirtualSerialPort extends EventTarget {
  onconnect: ((event: Event) => unknown) | null = null;
  ondisconnect: ((event: Event) => unknown) | null = null;

  private state: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  private lost = false;
  private forgotten = false;
  private readableStream: ReadableStream<Uint8Array> | null = null;
  private readController: ReadableByteStreamController | null = null;
  private writableStream: WritableStream<Uint8Array> | null = null;
  private writeController: WritableStreamDefaultController | null = null;
  private pendingRead: Uint8Array<ArrayBuffer>[] = [];

  constructor(
    private readonly conn: BridgeConnection,
    private readonly serial: EventTarget,
  ) {
    super();
    conn.onData = (bytes) => this.onData(bytes);
    conn.onLost = () => this.onLost();
    conn.onReplugged = () => this.onReplugged();
    conn.onRenumerated = () => void this.onRenumerated();
  }

  /** Which virtual board this is (not part of Web Serial; for tests). */
  get virtualBoard(): string | null {
    return this.conn.board;
  }

  get connected(): boolean {
    return !this.lost && !this.forgotten;
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (this.state !== 'open' || this.lost) return null;
    // Web Serial hands out a new stream after the previous one was cancelled or errored.
    this.readableStream ??= this.makeReadable();
    return this.readableStream;
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (this.state !== 'open' || this.lost) return null;
    this.writableStream ??= this.makeWritable();
    return this.writableStream;
  }

  getInfo(): WirePortInfo {
    return { ...this.conn.info };
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (!options || typeof options.baudRate !== 'number' || !(options.baudRate > 0)) {
      throw new TypeError("Failed to execute 'open' on 'SerialPort': Requested baud rate must be greater than zero.");
    }
    if (this.state !== 'closed') throw new DOMException('The port is already open.', 'InvalidStateError');
    if (this.lost || this.forgotten) throw lostError();
    this.state = 'opening';
    try {
      await this.conn.request({ t: 'open', baudRate: options.baudRate });
    } catch (error) {
      this.state = 'closed';
      throw error;
    }
    this.pendingRead = [];
    this.state = 'open';
  }

  async close(): Promise<void> {
    // Closing a port that was lost succeeds, as the virtual board's own port does (port.ts).
    if (this.lost && this.state === 'closed') return;
    if (this.state !== 'open') throw new DOMException('The port is already closed.', 'InvalidStateError');
    // Chrome cancels the readable and closes the writable; both fail on a locked stream.
    if (this.readableStream?.locked || this.writableStream?.locked) {
      throw new TypeError("Failed to execute 'close' on 'SerialPort': Cannot cancel a locked stream");
    }
    this.state = 'closing';
    try {
      await this.readableStream?.cancel().catch(() => undefined);
      await this.writableStream?.close().catch(() => undefined);
      if (!this.lost) await this.conn.request({ t: 'close' });
    } finally {
      this.readableStream = null;
      this.writableStream = null;
      this.pendingRead = [];
      this.state = 'closed';
    }
  }

  async setSignals(signals: { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean }): Promise<void> {
    if (this.state !== 'open' || this.lost) throw new DOMException('The port is closed.', 'InvalidStateError');
    const { dataTerminalReady, requestToSend } = signals;
    const brk = signals.break;
    if (dataTerminalReady === undefined && requestToSend === undefined && brk === undefined) {
      throw new TypeError("Failed to execute 'setSignals' on 'SerialPort': Signals dictionary is empty.");
    }
    await this.conn.request({ t: 'signals', signals: { dataTerminalReady, requestToSend, break: brk } });
  }

  async getSignals(): Promise<{ dataCarrierDetect: boolean; clearToSend: boolean; ringIndicator: boolean; dataSetReady: boolean }> {
    if (this.state !== 'open' || this.lost) throw new DOMException('The port is closed.', 'InvalidStateError');
    // An ESP board's USB-serial chip has its modem inputs unwired.
    return { dataCarrierDetect: false, clearToSend: false, ringIndicator: false, dataSetReady: false };
  }

  async forget(): Promise<void> {
    this.forgotten = true;
    granted.delete(this);
    this.conn.dispose();
  }

  private makeReadable(): ReadableStream<Uint8Array> {
    // A byte stream, as Chrome's is, so a page may read it with a BYOB reader too.
    const stream = new ReadableStream({
      type: 'bytes',
      start: (controller: ReadableByteStreamController) => {
        this.readController = controller;
        for (const chunk of this.pendingRead) controller.enqueue(chunk);
        this.pendingRead = [];
      },
      cancel: () => {
        if (this.readableStream === stream) {
          this.readableStream = null;
          this.readController = null;
        }
      },
    });
    return stream;
  }

  private makeWritable(): WritableStream<Uint8Array> {
    const stream: WritableStream<Uint8Array> = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.writeController = controller;
      },
      write: (chunk: ArrayBufferView | ArrayBuffer) => {
        const bytes = ArrayBuffer.isView(chunk)
          ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          : new Uint8Array(chunk);
        return this.conn.write(bytes);
      },
      close: () => this.forgetWritable(stream),
      abort: () => this.forgetWritable(stream),
    });
    return stream;
  }

  private forgetWritable(stream: WritableStream<Uint8Array>): void {
    if (this.writableStream === stream) {
      this.writableStream = null;
      this.writeController = null;
    }
  }

  private onData(bytes: Uint8Array<ArrayBuffer>): void {
    if (this.state !== 'open') return;
    if (this.readController !== null && this.readableStream !== null) {
      this.readController.enqueue(bytes);
      return;
    }
    this.pendingRead.push(bytes);
    let total = this.pendingRead.reduce((n, b) => n + b.length, 0);
    while (total > PENDING_READ_LIMIT && this.pendingRead.length > 0) total -= this.pendingRead.shift()?.length ?? 0;
  }

  private onLost(): void {
    if (this.lost) return;
    this.lost = true;
    // As in Chrome, a lost port is no longer open: open() fails until the device is back.
    this.readController?.error(lostError());
    this.writeController?.error(lostError());
    this.readableStream = null;
    this.readController = null;
    this.writableStream = null;
    this.writeController = null;
    this.pendingRead = [];
    this.state = 'closed';
    this.fire('disconnect');
  }

  private onReplugged(): void {
    if (!this.lost) return;
    this.lost = false;
    this.fire('connect');
  }

  /**
   * Espressif's native USB came back after a reset as a new device: as in Chrome, this object
   * stays lost and a new port object (same USB ids, already granted) appears with `connect`.
   */
  private async onRenumerated(): Promise<void> {
    const name = this.conn.board;
    if (name === null || this.forgotten) return;
    const url = new URL(bridgeAddress);
    url.searchParams.set('board', name);
    const conn = await BridgeConnection.connect(url.href).catch(() => null);
    if (conn === null || conn.board === null) return;
    this.conn.dispose();
    granted.delete(this);
    const port = new VirtualSerialPort(conn, this.serial);
    granted.add(port);
    port.fire('connect');
  }

  /** Fires on the port, then on navigator.serial with the port as target, as Chrome's bubbling
   *  `connect`/`disconnect` events appear to the page. */
  private fire(type: 'connect' | 'disconnect'): void {
    const onPort = new Event(type, { bubbles: true });
    this.dispatchEvent(onPort);
    (type === 'connect' ? this.onconnect : this.ondisconnect)?.call(this, onPort);
    const onSerial = new Event(type, { bubbles: true });
    Object.defineProperty(onSerial, 'target', { get: () => this });
    this.serial.dispatchEvent(onSerial);
    // The real Serial runs its own `ondisconnect` attribute; the stand-in's has to be called.
    if (this.serial instanceof StandinSerial) (type === 'connect' ? this.serial.onconnect : this.serial.ondisconnect)?.call(this.serial, onSerial);
  }
}

/** navigator.serial where the browser has none (Firefox, an insecure context). */
class StandinSerial extends EventTarget {
  onconnect: ((event: Event) => unknown) | null = null;
  ondisconnect: ((event: Event) => unknown) | null = null;
  requestPort(_options?: RequestOptions): Promise<unknown> {
    return Promise.reject(new DOMException('No port selected by the user.', 'NotFoundError'));
  }
  getPorts(): Promise<unknown[]> {
    return Promise.resolve([]);
  }
}

const granted = new Set<VirtualSerialPort>();
/** The bridge's ws:// address, for the new port of a re-enumerated device. */
let bridgeAddress = '';

function matches(info: WirePortInfo, filters: PortFilter[] | undefined): boolean {
  if (filters === undefined || filters.length === 0) return true;
  return filters.some(
    (f) =>
      (f.usbVendorId === undefined || f.usbVendorId === info.usbVendorId) &&
      (f.usbProductId === undefined || f.usbProductId === info.usbProductId),
  );
}

/** Installs the stand-in once per page; `bridgeUrl` is the bridge's ws:// address. */
export function installSerialStandin(bridgeUrl: string): void {
  const marker = '__nyalaSerialStandin';
  const global = globalThis as unknown as Record<string, unknown>;
  if (global[marker]) return;
  global[marker] = true;
  bridgeAddress = bridgeUrl;

  const nav = navigator as Navigator & { serial?: SerialApi };
  const real = nav.serial;
  const serial: SerialApi = real ?? new StandinSerial();
  const realRequestPort = serial.requestPort.bind(serial);
  const realGetPorts = serial.getPorts.bind(serial);

  const requestPort = async (options?: RequestOptions): Promise<unknown> => {
    // An unreachable bridge counts as no virtual board.
    const conn = await BridgeConnection.connect(bridgeUrl).catch(() => null);
    if (conn === null || conn.board === null || !matches(conn.info, options?.filters)) {
      conn?.dispose();
      // No virtual board for this request: the browser's own chooser (or its NotFoundError).
      return realRequestPort(options);
    }
    const port = new VirtualSerialPort(conn, serial);
    granted.add(port);
    return port;
  };
  const getPorts = async (): Promise<unknown[]> => [...(await realGetPorts()), ...granted];

  Object.defineProperty(serial, 'requestPort', { value: requestPort, configurable: true, writable: true });
  Object.defineProperty(serial, 'getPorts', { value: getPorts, configurable: true, writable: true });
  if (real === undefined) {
    Object.defineProperty(Navigator.prototype, 'serial', { get: () => serial, configurable: true });
  }
}
