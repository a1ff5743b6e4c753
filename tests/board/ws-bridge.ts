// The WebSocket bridge between virtual boards in a Node process (a Playwright test, later
// `npm start`) and the page's `navigator.serial` stand-in (page/serial-standin.ts). Each
// requestPort() in the page opens one WebSocket here and gets the board chosen at that moment;
// the page's open/close/setSignals/read/write then act on that board's port.

import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Board } from './index.ts';
import { followPort } from './follow-port.ts';
import type { SerialPortLike } from './port-like.ts';
import type { BridgeMessage, PageMessage, WireError } from './page/bridge-protocol.ts';

/** What the bridge needs of a board: its port (whose `disconnect`/`connect` events, as Web
 *  Serial fires them, tell of unplug and replug), and where it has them, its GPIO changes. */
export interface BridgedBoard {
  port: SerialPortLike & Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>> & { readonly connected?: boolean };
  /** Calls back on each GPIO level change; returns an unsubscribe. */
  watchGpio?(listener: (pin: number, level: 0 | 1) => void): () => void;
  /** Current levels of the pins worth showing, sent to a page when it connects. */
  gpioLevels?(): Array<{ pin: number; level: 0 | 1 }>;
  /** Calls back when the board's USB came back as a new port (native USB); returns an unsubscribe. */
  onRenumerate?(listener: () => void): () => void;
}

/** The GPIOs a page sees by default: the lamp pin of CONTRACTS.md (GPIO2 on both chips). */
export const LAMP_PINS = [2];

/**
 * How long each wait for a GPIO change lasts before it is renewed. The board's GPIO handle offers
 * `waitFor` (no change events), so a pin is watched by waiting for the other level, again and
 * again; a wait that times out leaves the board one stale waiter until the pin next changes.
 */
const GPIO_WAIT_SLICE_MS = 1000;

/** A virtual board as the bridge sees it: its port, and its lamp pins watched for the page. */
export function bridged(board: Board, pins: number[] = LAMP_PINS): BridgedBoard {
  return {
    // The port of the moment: an ESP32-C3 on its own USB is a new port after a reset.
    port: followPort(board),
    onRenumerate(listener) {
      board.usb.addEventListener('port', listener);
      return () => board.usb.removeEventListener('port', listener);
    },
    gpioLevels: () => pins.map((pin) => ({ pin, level: board.gpio.read(pin) })),
    watchGpio(listener) {
      let watching = true;
      for (const pin of pins) {
        void (async () => {
          let level = board.gpio.read(pin);
          while (watching) {
            const next = level === 1 ? 0 : 1;
            const changed = await board.gpio.waitFor(pin, next, GPIO_WAIT_SLICE_MS).then(
              () => true,
              () => false,
            );
            if (!changed || !watching) continue;
            level = next;
            listener(pin, level);
          }
        })();
      }
      return () => {
        watching = false;
      };
    },
  };
}

export interface WsBridgeOptions {
  /** The boards a page can get, by name. The first is chosen until `choose` says otherwise. */
  boards: Record<string, BridgedBoard>;
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
}

export interface WsBridge {
  /** ws://127.0.0.1:<port>, to give to standinScript(). */
  readonly url: string;
  /** Which board the page's next requestPort() returns; null = none (the real chooser runs). */
  choose(name: string | null): void;
  close(): Promise<void>;
}

export async function startWsBridge(options: WsBridgeOptions): Promise<WsBridge> {
  const names = Object.keys(options.boards);
  let chosen: string | null = names[0] ?? null;
  const sessions = new Set<PortSession>();
  const wss = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    // A page may name its board in the URL (`?board=`); otherwise it gets the chosen one.
    const asked = new URL(request.url ?? '/', 'ws://bridge').searchParams.get('board');
    const name = asked ?? chosen;
    const board = name === null ? undefined : options.boards[name];
    // An unplugged board is not there to choose, as a device missing from Chrome's chooser.
    if (name === null || board === undefined || board.port.connected === false) {
      send(ws, { t: 'hello', board: null, info: {} });
      return;
    }
    const session = new PortSession(ws, name, board);
    sessions.add(session);
    void session.ended.then(() => sessions.delete(session));
  });

  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('WebSocket bridge has no TCP address');
  return {
    url: `ws://${address.address}:${address.port}`,
    choose(name) {
      if (name !== null && !(name in options.boards)) throw new Error(`no virtual board named ${name}`);
      chosen = name;
    },
    async close() {
      for (const session of sessions) session.drop();
      await Promise.all([...sessions].map((s) => s.ended));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function send(ws: WebSocket, message: BridgeMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function wireError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NetworkError', message: String(error) };
}

/** One page port on one board, for the life of its WebSocket. */
class PortSession {
  readonly ended: Promise<void>;
  private finish!: () => void;
  private chain: Promise<void> = Promise.resolve();
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private pump: Promise<void> | null = null;
  private isOpen = false;
  private lost = false;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket,
    name: string,
    private readonly board: BridgedBoard,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    send(ws, { t: 'hello', board: name, info: board.port.getInfo() });
    for (const { pin, level } of board.gpioLevels?.() ?? []) send(ws, { t: 'gpio', pin, level });
    const gpio = board.watchGpio?.((pin, level) => send(ws, { t: 'gpio', pin, level }));
    if (gpio) this.unsubscribe.push(gpio);
    const port = board.port;
    if (port.addEventListener && port.removeEventListener) {
      const unplugged = (): void => this.onUnplug();
      const replugged = (): void => this.onReplug();
      port.addEventListener('disconnect', unplugged);
      port.addEventListener('connect', replugged);
      this.unsubscribe.push(() => {
        port.removeEventListener?.('disconnect', unplugged);
        port.removeEventListener?.('connect', replugged);
      });
    }

    const renumerate = board.onRenumerate?.(() => {
      // The page's port is gone for good; the page makes a new one for the new device.
      if (this.lost) send(this.ws, { t: 'renumerated' });
    });
    if (renumerate) this.unsubscribe.push(renumerate);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) this.enqueue(() => this.write(toBytes(data)));
      else this.onRequest(JSON.parse(String(data)) as PageMessage);
    });
    ws.on('close', () => void this.teardown());
    ws.on('error', () => void this.teardown());
  }

  drop(): void {
    this.ws.terminate();
    void this.teardown();
  }

  private onRequest(message: PageMessage): void {
    this.enqueue(async () => {
      try {
        if (message.t === 'open') await this.open(message.baudRate);
        else if (message.t === 'close') await this.closePort();
        else await this.board.port.setSignals(message.signals);
        send(this.ws, { t: 'result', id: message.id });
      } catch (error) {
        send(this.ws, { t: 'result', id: message.id, error: wireError(error) });
      }
    });
  }

  /** Requests and writes reach the board in the order the page made them. */
  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task, task);
  }

  private async write(bytes: Uint8Array): Promise<void> {
    try {
      if (this.writer === null) throw new DOMException('The port is closed.', 'InvalidStateError');
      // Acknowledged once the board's link took the bytes, so the page's write() waits as a
      // real one does when the transmit buffer is full.
      await this.writer.write(bytes);
      send(this.ws, { t: 'written' });
    } catch (error) {
      send(this.ws, { t: 'written', error: wireError(error) });
    }
  }

  private async open(baudRate: number): Promise<void> {
    const port = this.board.port;
    await port.open({ baudRate }).catch((error: unknown) => {
      // The page's own port is closed (the stand-in checks), so an open board port is held by
      // someone else (another tab, the RFC 2217 server): Chrome says so as a failed open.
      if (error instanceof Error && error.name === 'InvalidStateError') throw new DOMException('Failed to open serial port.', 'NetworkError');
      throw error;
    });
    const { readable, writable } = port;
    if (readable === null || writable === null) throw new Error('board port opened without streams');
    this.isOpen = true;
    this.reader = readable.getReader();
    this.writer = writable.getWriter();
    this.pump = this.pumpToPage(this.reader);
  }

  private async pumpToPage(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        // Serial rates (at most ~92 KB/s at 921600 baud) are far below what a local WebSocket
        // carries, so there is no backpressure to pass on.
        if (this.ws.readyState === this.ws.OPEN) this.ws.send(value);
      }
    } catch {
      // The board's port failed under us: the device is gone, as after an unplug.
      if (this.reader === reader) this.onUnplug();
    }
  }

  private onUnplug(): void {
    if (this.lost) return;
    this.lost = true;
    send(this.ws, { t: 'lost' });
    this.enqueue(() => this.closePort().catch(() => undefined));
  }

  private onReplug(): void {
    if (!this.lost) return;
    this.lost = false;
    send(this.ws, { t: 'replugged' });
  }

  private async closePort(): Promise<void> {
    if (!this.isOpen) return;
    const { reader, writer, pump } = this;
    this.reader = null;
    this.writer = null;
    this.pump = null;
    this.isOpen = false;
    await reader?.cancel().catch(() => undefined);
    await pump;
    reader?.releaseLock();
    // The page closes its writable before it closes the port, so nothing is left to flush here.
    writer?.releaseLock();
    await this.board.port.close();
  }

  private tearingDown: Promise<void> | null = null;

  private teardown(): Promise<void> {
    this.tearingDown ??= (async () => {
      if (this.closed) return;
      this.closed = true;
      for (const off of this.unsubscribe) off();
      // A page that goes away (tab closed, test ended) releases the board for the next one.
      await this.writer?.abort().catch(() => undefined);
      await this.chain;
      await this.closePort().catch(() => undefined);
      this.finish();
    })();
    return this.tearingDown;
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
