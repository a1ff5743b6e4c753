// Real parts for the remote's tests and benchmark: an aedes broker started on free ports (MQTT over
// TCP for the board, over WebSocket for the page) that can be stopped and started again on the
// same ports, and an independent MQTT.js client that answers as firmware/main.py does, plain or
// signed as docs/contracts.md says (its own parsing; only the MAC comes from src/lamp/signing.ts,
// which is pinned to the contract's test vector).
import { Aedes, type AedesOptions } from 'aedes';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import type { Topics, Replies } from '../../../src/lamp/settings.ts';
import { lampMac, signPayload, verifyPayload } from '../../../src/lamp/signing.ts';
import type { LampRemote, RemoteSnapshot } from '../../../src/lamp/remote.ts';

/** What the remote's tests need of a broker, whichever it is. */
export interface BrokerUnderTest {
  readonly kind: 'aedes' | 'mosquitto';
  readonly wsUrl: string;
  readonly tcpUrl: string;
  readonly tcpPort: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop, and remove whatever it left on disk */
  dispose(): Promise<void>;
}

export class TestBroker implements BrokerUnderTest {
  readonly kind = 'aedes';
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
      // No Nagle: a PUBACK followed by a PUBLISH would otherwise wait for a delayed ACK (~40 ms).
      socket.setNoDelay(true);
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

  dispose(): Promise<void> {
    return this.stop();
  }

  /** The broker stops reading one client without closing anything: a link that died silently. */
  freezeWebSocketClient(clientId: string): void {
    for (const [ws, client] of this.webSockets) if (client.id === clientId) ws.pause();
  }

  /** Resolves at the next PINGREQ the broker receives from this client. */
  nextPing(clientId: string, ms = 5_000): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('broker not running'));
    let listener: (packet: unknown, client: { id: string }) => void = () => {};
    const seen = new Promise<void>((resolve) => {
      listener = (_packet, client) => {
        if (client.id === clientId) resolve();
      };
      aedes.on('ping', listener);
    });
    return withTimeout(seen, ms, `a ping from ${clientId}`).finally(() => aedes.removeListener('ping', listener));
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

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

/** The brokers the remote is tested against: Mosquitto too where installed (CI installs it). */
export function brokerKinds(): Array<'aedes' | 'mosquitto'> {
  if (MOSQUITTO) return ['aedes', 'mosquitto'];
  if (process.env.CI === 'true') throw new Error('mosquitto is missing: apt-get install -y mosquitto');
  console.warn('mosquitto is not installed: the remote is tested against aedes only');
  return ['aedes'];
}

export function makeBroker(kind: 'aedes' | 'mosquitto'): BrokerUnderTest {
  return kind === 'aedes' ? new TestBroker() : new MosquittoBroker();
}

/** Mosquitto as a child process, with a TCP listener and a websockets one, as people run it. */
export class MosquittoBroker implements BrokerUnderTest {
  readonly kind = 'mosquitto';
  tcpPort = 0;
  wsPort = 0;
  private dir = '';
  private proc: ChildProcess | null = null;

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}`;
  }
  get tcpUrl(): string {
    return `mqtt://127.0.0.1:${this.tcpPort}`;
  }

  async start(): Promise<void> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed');
    if (!this.tcpPort) [this.tcpPort, this.wsPort] = [await freePort(), await freePort()];
    this.dir ||= await mkdtemp(path.join(tmpdir(), 'nyala-remote-mosquitto-'));
    const conf = path.join(this.dir, 'mosquitto.conf');
    await writeFile(
      conf,
      `listener ${this.tcpPort} 127.0.0.1\nlistener ${this.wsPort} 127.0.0.1\nprotocol websockets\n` +
        'allow_anonymous true\npersistence false\nlog_dest stderr\n',
    );
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let log = '';
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          if (/mosquitto version \S+ running/.test(log)) resolve();
        };
        proc.stdout!.on('data', onData);
        proc.stderr!.on('data', onData);
        proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}):\n${log}`)));
      }),
      10_000,
      'mosquitto to start',
    );
  }

  /** SIGKILL: a crash, no goodbye to anyone. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.exitCode === null) {
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await gone;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** A port nobody listens on right now, from the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface FirmwareOptions {
  brokerUrl: string;
  topics: Topics;
  replies?: Replies;
  /** online, but never answers commands (a hung main loop) */
  silent?: boolean;
  /** answers this long after a command, as a slow board on a busy network would */
  delayMs?: number;
  /** the lamp's signing key: the signed protocol of docs/contracts.md; absent: the tutorial's plain one */
  key?: string;
}

/** Why the board refused a command (docs/contracts.md: `nyala: lamp refused <reason>`). */
export type RefusedReason = 'retained' | 'malformed' | 'bad-mac' | 'stale';

/** 16 lowercase hex digits, as the board's os.urandom(8) gives. */
export function nonce(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Behaves as firmware/main.py does over the wire.
 * Plain: last will `offline` (retained), `online` (retained) once connected, and for each
 * `on`/`off` the reply text, then the retained state.
 * Signed: a session id and a challenge drawn at every boot; last will `offline <sid> <mac>`,
 * `online <sid> <mac>` and the state `<ch> <mac>` (both retained) once connected; a command is
 * applied only if not retained, well formed, its MAC valid and its challenge the current one,
 * which is then used up: the state with a new challenge, then the reply `<text> <ch_used> <mac>`.
 * A stale command gets the state again (at most once a second).
 */
export class BoardClient {
  /** the command word of every message on the command topic (`on` of `on <ch> <mac>`) */
  readonly commands: string[] = [];
  /** commands applied to the lamp, in order */
  readonly applied: Array<'on' | 'off'> = [];
  readonly refused: RefusedReason[] = [];
  /** every payload it published, in order, to replay in tests */
  readonly published: Array<{ topic: string; payload: string }> = [];
  lamp: 'on' | 'off' = 'off';
  /** how many times it has connected, subscribed and said `online` */
  readyCount = 0;
  /** signed: this boot's session id and current challenge */
  sid = nonce();
  challenge = nonce();
  private lastStaleStateAt = -Infinity;
  private client: MqttClient | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: FirmwareOptions) {}

  get signed(): boolean {
    return this.options.key !== undefined;
  }

  private sign(kind: 'reply' | 'status', topic: string, body: string): string {
    return signPayload(this.options.key!, kind, topic, body);
  }

  /** Starts (again): as a board powering up, with a new session id and challenge. */
  async start(): Promise<void> {
    const { topics } = this.options;
    const replies = this.options.replies ?? { on: 'saya hidup', off: 'saya mati' };
    this.sid = nonce();
    this.challenge = nonce();
    const will = this.signed ? this.sign('status', topics.status, `offline ${this.sid}`) : 'offline';
    const client = connect(this.options.brokerUrl, {
      clientId: `board-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 50,
      connectTimeout: 5_000,
      will: { topic: topics.status, payload: Buffer.from(will), qos: 1, retain: true },
    });
    this.client = client;
    const publish = (topic: string, payload: string, retain: boolean, done?: () => void) => {
      this.published.push({ topic, payload });
      // As firmware/main.py: QoS 1 for what is retained (aedes 1.2 loses a retained QoS 0 message
      // followed at once by another), QoS 0 for the reply.
      client.publish(topic, payload, { qos: retain ? 1 : 0, retain }, () => done?.());
    };
    // The state's MAC is over `<on|off> <ch>` but only `<ch> <mac>` is sent: strangers cannot tell on from off.
    const publishState = () =>
      publish(topics.state, `${this.challenge} ${lampMac(this.options.key!, 'state', topics.state, `${this.lamp} ${this.challenge}`)}`, true);
    client.on('connect', () => {
      // Subscribed before saying online, so "online" means a command will be heard.
      client.subscribe(topics.command, { qos: 1 }, () => {
        const online = this.signed ? this.sign('status', topics.status, `online ${this.sid}`) : 'online';
        publish(topics.status, online, true, () => {
          // A signed board's state carries the challenge the first command needs.
          if (this.signed) publishState();
          this.readyCount += 1;
          this.notify();
        });
      });
    });
    client.on('message', (_topic, payload, packet) => {
      const text = payload.toString();
      this.commands.push(text.split(' ')[0] ?? '');
      this.notify();
      if (this.options.silent) return;
      if (!this.signed) {
        if (text !== 'on' && text !== 'off') return;
        const answer = () => {
          this.lamp = text;
          this.applied.push(text);
          publish(topics.reply, text === 'on' ? replies.on : replies.off, false);
          publish(topics.state, text, true);
          this.notify();
        };
        if (this.options.delayMs) setTimeout(answer, this.options.delayMs);
        else answer();
        return;
      }
      const verdict = this.check(text, packet.retain);
      if (typeof verdict === 'string') {
        this.refused.push(verdict);
        if (verdict === 'stale' && Date.now() - this.lastStaleStateAt >= 1_000) {
          this.lastStaleStateAt = Date.now();
          publishState();
        }
        return this.notify();
      }
      const used = this.challenge;
      this.challenge = nonce();
      const answer = () => {
        this.lamp = verdict.want;
        this.applied.push(verdict.want);
        publishState();
        const textOut = verdict.want === 'on' ? replies.on : replies.off;
        publish(topics.reply, this.sign('reply', topics.reply, `${textOut} ${used}`), false);
        this.notify();
      };
      if (this.options.delayMs) setTimeout(answer, this.options.delayMs);
      else answer();
    });
    await this.whenReady(this.readyCount + 1);
  }

  /** The board's rules for a signed command: what to do, or why not. */
  private check(text: string, retained: boolean): { want: 'on' | 'off' } | RefusedReason {
    if (retained) return 'retained';
    const parts = text.split(' ');
    const [want, ch, mac] = parts;
    if (parts.length !== 3 || (want !== 'on' && want !== 'off') || !/^[0-9a-f]{16}$/.test(ch ?? '') || !/^[0-9a-f]{64}$/.test(mac ?? '')) {
      return 'malformed';
    }
    if (verifyPayload(this.options.key!, 'cmd', this.options.topics.command, text) === null) return 'bad-mac';
    if (ch !== this.challenge) return 'stale';
    return { want };
  }

  /** Resolves once it has been ready `count` times in all (count 2: back after a broker restart). */
  whenReady(count: number, ms = 5_000): Promise<void> {
    return this.until(() => this.readyCount >= count, `firmware ready ×${count}`, ms);
  }

  /** Resolves once it has received `payload` on the command topic. */
  whenCommand(payload: string, ms = 5_000): Promise<void> {
    return this.until(() => this.commands.includes(payload), `firmware to receive "${payload}"`, ms);
  }

  /** Resolves once it has received `count` commands in all, applied or refused. */
  whenCommands(count: number, ms = 5_000): Promise<void> {
    return this.until(() => this.commands.length >= count, `firmware to receive ${count} commands`, ms);
  }

  /** A reboot: the connection drops without a goodbye (the last will), then a new boot. */
  async reboot(): Promise<void> {
    await this.pullThePlug();
    await this.start();
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
