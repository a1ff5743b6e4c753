// Real parts for the remote's tests and benchmark: an aedes broker started on free ports (MQTT over
// TCP for the board, over WebSocket for the page) that can be stopped and started again on the
// same ports, and an independent MQTT.js client that answers as firmware/main.py does.
import { Aedes, type AedesOptions } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { connect, type MqttClient } from 'mqtt';
import type { Topics, Replies } from '../../../src/lamp/settings.ts';
import type { LampRemote, RemoteSnapshot } from '../../../src/lamp/remote.ts';

export class TestBroker {
  private aedes: Aedes | null = null;
  private wss: WebSocketServer | null = null;
  private tcp: Server | null = null;
  private sockets = new Set<Socket>();
  private webSockets = new Map<WebSocket, { id: string }>();
  wsPort = 0;
  tcpPort = 0;

  constructor(private readonly options: AedesOptions = {}) {}

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}`;
  }
  get tcpUrl(): string {
    return `mqtt://127.0.0.1:${this.tcpPort}`;
  }
  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /** Starts on free ports the first time, and on the same ports after a stop. */
  async start(): Promise<void> {
    const aedes = await Aedes.createBroker(this.options);
    this.aedes = aedes;
    this.wss = await new Promise<WebSocketServer>((resolve, reject) => {
      const wss = new WebSocketServer({ port: this.wsPort, host: '127.0.0.1' });
      wss.once('listening', () => resolve(wss));
      wss.once('error', reject);
    });
    this.wsPort = (this.wss.address() as AddressInfo).port;
    this.wss.on('connection', (ws, req) => {
      this.webSockets.set(ws, aedes.handle(createWebSocketStream(ws), req));
      ws.once('close', () => this.webSockets.delete(ws));
    });
    this.tcp = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(this.tcpPort, '127.0.0.1', () => resolve());
    });
    this.tcpPort = (this.tcp.address() as AddressInfo).port;
  }

  clientIds(): string[] {
    return [...this.webSockets.values()].map((c) => c.id);
  }

  /** Cuts one WebSocket client's connection, as a network blip would; the broker stays up. */
  dropWebSocketClient(clientId: string): void {
    for (const [ws, client] of this.webSockets) if (client.id === clientId) ws.terminate();
  }

  /** Stops as a crashed broker would: every connection cut, retained messages gone. */
  async stop(): Promise<void> {
    const { wss, tcp, aedes } = this;
    this.wss = this.tcp = this.aedes = null;
    if (wss) {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    if (tcp) {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}

export interface FirmwareOptions {
  brokerUrl: string;
  topics: Topics;
  replies?: Replies;
  /** online, but never answers commands (a hung main loop) */
  silent?: boolean;
  /** answers this long after a command, as a slow board on a busy network would */
  delayMs?: number;
}

/**
 * Behaves as firmware/main.py does over the wire: last will `offline` (retained), `online`
 * (retained) once connected, and for each `on`/`off` the reply text, then the retained state.
 */
export class FakeFirmwareClient {
  readonly commands: string[] = [];
  lamp: 'on' | 'off' = 'off';
  /** how many times it has connected, subscribed and said `online` */
  readyCount = 0;
  private client: MqttClient | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: FirmwareOptions) {}

  async start(): Promise<void> {
    const { topics } = this.options;
    const replies = this.options.replies ?? { on: 'saya hidup', off: 'saya mati' };
    const client = connect(this.options.brokerUrl, {
      clientId: `board-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 50,
      connectTimeout: 5_000,
      will: { topic: topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      // Subscribed before saying online, so "online" means a command will be heard.
      client.subscribe(topics.command, { qos: 1 }, () => {
        client.publish(topics.status, 'online', { qos: 1, retain: true }, () => {
          this.readyCount += 1;
          this.notify();
        });
      });
    });
    client.on('message', (_topic, payload) => {
      const text = payload.toString();
      this.commands.push(text);
      this.notify();
      if (this.options.silent || (text !== 'on' && text !== 'off')) return;
      const answer = () => {
        this.lamp = text;
        client.publish(topics.reply, text === 'on' ? replies.on : replies.off, { qos: 0 });
        client.publish(topics.state, text, { qos: 0, retain: true });
      };
      if (this.options.delayMs) setTimeout(answer, this.options.delayMs);
      else answer();
    });
    await this.whenReady(1);
  }

  /** Resolves once it has been ready `count` times in all (count 2: back after a broker restart). */
  whenReady(count: number, ms = 5_000): Promise<void> {
    return this.until(() => this.readyCount >= count, `firmware ready ×${count}`, ms);
  }

  /** Resolves once it has received `payload` on the command topic. */
  whenCommand(payload: string, ms = 5_000): Promise<void> {
    return this.until(() => this.commands.includes(payload), `firmware to receive "${payload}"`, ms);
  }

  private until(test: () => boolean, what: string, ms: number): Promise<void> {
    if (test()) return Promise.resolve();
    let waiter: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      waiter = () => {
        if (test()) resolve();
      };
      this.waiters.add(waiter);
    });
    return withTimeout(done, ms, what).finally(() => this.waiters.delete(waiter));
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The board loses power: the broker publishes its last will. */
  async pullThePlug(): Promise<void> {
    const client = this.client;
    this.client = null;
    client?.stream.destroy();
    await client?.endAsync(true);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.endAsync(true);
  }
}

/** Resolves when `test` holds for the remote's snapshot; rejects after `ms` saying what it waited for. */
export function waitFor(remote: LampRemote, test: (s: RemoteSnapshot) => boolean, what: string, ms = 5_000): Promise<RemoteSnapshot> {
  if (test(remote.snapshot)) return Promise.resolve(remote.snapshot);
  return withTimeout(
    new Promise<RemoteSnapshot>((resolve) => {
      const off = remote.subscribe(() => {
        if (test(remote.snapshot)) {
          off();
          resolve(remote.snapshot);
        }
      });
    }),
    ms,
    what,
  );
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
