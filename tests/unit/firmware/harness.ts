// Real parts for the firmware's tests: the virtual board running the real MicroPython with our
// three files and a config.json in its flash, its UART read as text, brokers started on free ports
// (aedes in-process, Mosquitto as a child process), a phone (MQTT.js), and a TCP proxy that can go
// silent without closing anything.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { connectAsync, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { createBoard, testImage, type AccessPoint, type Board, type ChipName } from '../../board/index.ts';
import { createMicroPython, writeBoardFiles } from '../../board/micropython/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIRMWARE_FILES = ['wifi.py', 'mqtt.py', 'main.py'] as const;

export async function firmwareSources(dir = path.join(root, 'firmware')): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of FIRMWARE_FILES) out[f] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

/** Resolves when `check()` is true, re-checking on each `subscribe` notification; rejects after timeoutMs. */
function waitUntil<T>(
  check: () => T | undefined,
  subscribe: (notify: () => void) => () => void,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = check();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(v);
    });
  });
}

class Signal {
  private listeners = new Set<() => void>();
  notify(): void {
    for (const l of [...this.listeners]) l();
  }
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Brokers

export type BrokerKind = 'aedes' | 'mosquitto';

export interface TestBroker {
  readonly kind: BrokerKind;
  /** the MQTT TCP port (the same across stop/start) */
  readonly port: number;
  /** Starts on a free port the first time, on the same port after a stop. */
  start(): Promise<void>;
  /** Stops as a crashed broker would: every connection cut, retained messages gone. */
  stop(): Promise<void>;
  /** PINGREQs the broker received from this client so far (the lamp's id with any per-boot suffix). */
  pings(clientId: string): number;
  waitPings(clientId: string, n: number, timeoutMs: number): Promise<void>;
  /** Times the broker dropped this client for missing its keepalive. */
  keepaliveTimeouts(clientId: string): number;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** The lamp connects as `<client_id>-<4 random hex>` (a new suffix per boot): counts for the
 *  configured id add up every suffix of it. */
function countFor(map: Map<string, number>, clientId: string): number {
  let n = 0;
  for (const [id, k] of map) if (id === clientId || (id.startsWith(`${clientId}-`) && /^[0-9a-f]{4}$/.test(id.slice(clientId.length + 1)))) n += k;
  return n;
}

/** A broker that only lets this user in (otherwise anyone). */
export interface Credentials {
  user: string;
  password: string;
}

class AedesBroker implements TestBroker {
  readonly kind = 'aedes';
  port = 0;
  constructor(private readonly credentials?: Credentials) {}

  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private pingCounts = new Map<string, number>();
  private timeouts = new Map<string, number>();
  private changed = new Signal();

  async start(): Promise<void> {
    const cred = this.credentials;
    const aedes = await Aedes.createBroker(
      cred ? { authenticate: (_client, user, password, done) => done(null, user === cred.user && password?.toString() === cred.password) } : {},
    );
    aedes.on('ping', (_packet, client) => {
      count(this.pingCounts, client.id);
      this.changed.notify();
    });
    aedes.on('keepaliveTimeout', (client) => count(this.timeouts, client.id));
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.aedes = aedes;
    this.server = server;
  }

  async stop(): Promise<void> {
    const { server, aedes } = this;
    this.server = null;
    this.aedes = null;
    if (server) {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }

  pings(clientId: string): number {
    return countFor(this.pingCounts, clientId);
  }

  waitPings(clientId: string, n: number, timeoutMs: number): Promise<void> {
    return waitUntil(
      () => (this.pings(clientId) >= n ? true : undefined),
      this.changed.subscribe,
      timeoutMs,
      () => `${n} PINGREQs from ${clientId} at aedes (saw ${this.pings(clientId)})`,
    ).then(() => undefined);
  }

  keepaliveTimeouts(clientId: string): number {
    return countFor(this.timeouts, clientId);
  }
}

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

class MosquittoBroker implements TestBroker {
  readonly kind = 'mosquitto';
  port = 0;
  constructor(private readonly credentials?: Credentials) {}

  private dir = '';
  private proc: ChildProcess | null = null;
  private pingCounts = new Map<string, number>();
  private timeouts = new Map<string, number>();
  private changed = new Signal();
  private log = '';

  async start(): Promise<void> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed (apt install mosquitto)');
    if (!this.port) this.port = await freePort();
    this.dir ||= await mkdtemp(path.join(tmpdir(), 'nyala-mosquitto-'));
    const conf = path.join(this.dir, 'mosquitto.conf');
    // `log_type all` makes Mosquitto log every PINGREQ and keepalive timeout: that is how the
    // tests see them.
    let access = 'allow_anonymous true\n';
    if (this.credentials) {
      const passwords = path.join(this.dir, 'passwords');
      await run('mosquitto_passwd', ['-c', '-b', passwords, this.credentials.user, this.credentials.password]);
      // Started as root, Mosquitto drops to its own user before it reads the file.
      await chmod(this.dir, 0o755);
      await chmod(passwords, 0o644);
      access = `allow_anonymous false\npassword_file ${passwords}\n`;
    }
    await writeFile(conf, `listener ${this.port} 127.0.0.1\n${access}persistence false\nlog_dest stderr\nlog_type all\n`);
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    // Never outlive the test process, even when it dies without running afterAll.
    const killOnExit = (): void => void proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.off('exit', killOnExit));
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        this.log += line + '\n';
        let m = /Received PINGREQ from (\S+)/.exec(line);
        if (m) count(this.pingCounts, m[1]!);
        m = /Client (\S+) has exceeded timeout/.exec(line);
        if (m) count(this.timeouts, m[1]!);
      }
      this.changed.notify();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) before it was ready:\n${this.log}`))),
    );
    await Promise.race([
      waitUntil(() => (/mosquitto version \S+ running/.test(this.log) ? true : undefined), this.changed.subscribe, 10_000, () => `mosquitto to start:\n${this.log}`),
      exited,
    ]);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL'); // a crash: no goodbye to anyone
    await gone;
    this.log = '';
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  pings(clientId: string): number {
    return countFor(this.pingCounts, clientId);
  }

  waitPings(clientId: string, n: number, timeoutMs: number): Promise<void> {
    return waitUntil(
      () => (this.pings(clientId) >= n ? true : undefined),
      this.changed.subscribe,
      timeoutMs,
      () => `${n} PINGREQs from ${clientId} at mosquitto (saw ${this.pings(clientId)})`,
    ).then(() => undefined);
  }

  keepaliveTimeouts(clientId: string): number {
    return countFor(this.timeouts, clientId);
  }
}

/** The brokers every firmware test runs against. Mosquitto missing: CI fails, a laptop warns. */
export function brokerKinds(): BrokerKind[] {
  if (MOSQUITTO) return ['aedes', 'mosquitto'];
  if (process.env.CI === 'true') return ['aedes', 'mosquitto']; // start() then fails loudly
  console.warn('mosquitto is not installed: the firmware tests run against aedes only (CI=true makes this an error)');
  return ['aedes'];
}

export function makeBroker(kind: BrokerKind, credentials?: Credentials): TestBroker & { dispose(): Promise<void> } {
  if (kind === 'aedes') {
    const b = new AedesBroker(credentials);
    return Object.assign(b, { dispose: () => b.stop() });
  }
  return new MosquittoBroker(credentials);
}

/**
 * Inside a `describe.each(brokerKinds())`: the broker of that kind for the whole block, and a list
 * of clean-ups run (last first) after each test.
 */
export function useBroker(kind: BrokerKind): { broker: TestBroker & { dispose(): Promise<void> }; cleanups: Array<() => Promise<void>> } {
  const broker = makeBroker(kind);
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(() => broker.start(), 20_000);
  afterAll(() => broker.dispose(), 20_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 20_000);
  return { broker, cleanups };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${err}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// The phone: an independent MQTT.js client.

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export class Phone {
  readonly messages: Received[] = [];
  private changed = new Signal();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain });
      this.changed.notify();
    });
  }

  static async connect(port: number, clientId = `phone-${Math.random().toString(16).slice(2, 8)}`, credentials?: Credentials): Promise<Phone> {
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(credentials ? { username: credentials.user, password: credentials.password } : {}),
    });
    return new Phone(client);
  }

  async subscribe(...topics: string[]): Promise<void> {
    await this.client.subscribeAsync(topics, { qos: 1 });
  }

  async publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, opts);
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits for a message on `topic` (from index `from` of all messages) matching `payload`. */
  waitFor(topic: string, payload: string, timeoutMs: number, from = 0): Promise<Received> {
    return waitUntil(
      () => this.messages.slice(from).find((m) => m.topic === topic && m.payload.toString('latin1') === payload),
      this.changed.subscribe,
      timeoutMs,
      () => `"${payload}" on ${topic}; got ${JSON.stringify(this.messages.map((m) => [m.topic, m.payload.toString('latin1').slice(0, 20)]))}`,
    );
  }

  /** Waits until `n` messages arrived on `topic`. */
  waitCount(topic: string, n: number, timeoutMs: number): Promise<Received[]> {
    return waitUntil(
      () => {
        const got = this.on(topic);
        return got.length >= n ? got : undefined;
      },
      this.changed.subscribe,
      timeoutMs,
      () => `${n} messages on ${topic} (got ${this.on(topic).length})`,
    );
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Subscribes a fresh client and returns the retained message on `topic` (or times out). */
export async function retained(port: number, topic: string, timeoutMs = 5000): Promise<string> {
  const phone = await Phone.connect(port);
  try {
    await phone.subscribe(topic);
    const got = await waitUntil(
      () => phone.on(topic).find((m) => m.retain),
      (l) => {
        phone.client.on('message', l);
        return () => phone.client.off('message', l);
      },
      timeoutMs,
      () => `a retained message on ${topic}`,
    );
    return got.payload.toString('latin1');
  } finally {
    await phone.end();
  }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy between the board and the broker that can stop forwarding without closing anything,
// as a dead Wi-Fi router or a NAT that forgot the connection does.

export class SilentProxy {
  port = 0;
  forwarding = true;
  private server: Server | null = null;
  private sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = tcpConnect(this.targetPort, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.once('close', () => {
          this.sockets.delete(s);
          // A silent path hides a close too: the other end finds out only by itself.
          if (this.forwarding) {
            inbound.destroy();
            outbound.destroy();
          }
        });
      }
      // Bytes that arrive while the proxy is silent are dropped: nobody is told.
      inbound.on('data', (d: Buffer) => {
        if (this.forwarding) outbound.write(d);
      });
      outbound.on('data', (d: Buffer) => {
        if (this.forwarding) inbound.write(d);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// The board with the lamp program on it.

export const HOME_AP: AccessPoint = { ssid: 'Suko', password: 'sooko9999' };

export interface Topics {
  command: string;
  reply: string;
  status: string;
  state: string;
}

export const TUTORIAL_TOPICS: Topics = { command: 'sooko/lampu', reply: 'loger', status: 'sooko/lampu/status', state: 'sooko/lampu/state' };

export function deviceTopics(id: string): Topics {
  return { command: `nyala/${id}/lampu`, reply: `nyala/${id}/loger`, status: `nyala/${id}/status`, state: `nyala/${id}/state` };
}

/** config.json's `auth` (version 2): signed with a 32-hex key, or plain. */
export type Auth = { mode: 'signed'; key: string } | { mode: 'plain' };

/**
 * A config.json (docs/contracts.md) for a board on HOME_AP and a local broker: version 1 without
 * `auth`, version 2 with it.
 */
export function lampConfig(o: {
  port: number;
  clientId: string;
  topics: Topics;
  keepalive?: number;
  wifiPassword?: string;
  ssid?: string;
  user?: string;
  password?: string;
  auth?: Auth;
}): object {
  return {
    version: o.auth ? 2 : 1,
    wifi: { ssid: o.ssid ?? HOME_AP.ssid, password: o.wifiPassword ?? HOME_AP.password },
    mqtt: { host: '127.0.0.1', port: o.port, client_id: o.clientId, user: o.user ?? null, password: o.password ?? null, keepalive: o.keepalive ?? 2 },
    topics: o.topics,
    lamp: { pin: 2, active_low: true },
    replies: { on: 'saya hidup', off: 'saya mati' },
    ...(o.auth ? { auth: o.auth } : {}),
  };
}

/** The board's UART as text, read through its Web-Serial-shaped port. */
export class Uart {
  text = '';
  /** Each `nyala: …` line and when (Date.now()) it was complete. */
  readonly logLines: Array<{ line: string; at: number }> = [];
  private partial = '';
  private changed = new Signal();
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly board: Board) {}

  async open(): Promise<void> {
    await this.board.port.open({ baudRate: 115200 });
    const reader = this.board.port.readable!.getReader();
    this.reader = reader;
    this.done = (async () => {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (r.done) return;
        const chunk = Buffer.from(r.value).toString('latin1');
        this.text += chunk;
        const parts = (this.partial + chunk).split('\n');
        this.partial = parts.pop() ?? '';
        for (const part of parts) {
          // The first line follows the ROM's boot text, printed at another baud (garbage here).
          const at = part.indexOf('nyala: ');
          if (at >= 0) this.logLines.push({ line: part.slice(at).replace(/\r$/, ''), at: Date.now() });
        }
        this.changed.notify();
      }
    })();
  }

  /** Waits for `re` in what the board printed after character `from`; returns the match. */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return waitUntil(
      () => re.exec(this.text.slice(from)) ?? undefined,
      this.changed.subscribe,
      timeoutMs,
      () => `${re} on the UART; it printed:\n${this.text.slice(from).slice(-1500)}`,
    );
  }

  /** Waits until `n` complete `nyala: …` lines match `re`; returns them. */
  waitLines(re: RegExp, n: number, timeoutMs: number): Promise<Array<{ line: string; at: number }>> {
    return waitUntil(
      () => {
        const got = this.logLines.filter((l) => re.test(l.line));
        return got.length >= n ? got : undefined;
      },
      this.changed.subscribe,
      timeoutMs,
      () => `${n} lines like ${re}; the board printed:\n${this.text.slice(-1500)}`,
    );
  }

  /** The `nyala: …` lines so far. */
  lines(): string[] {
    return this.logLines.map((l) => l.line);
  }

  countLines(re: RegExp): number {
    return this.lines().filter((l) => re.test(l)).length;
  }

  async write(bytes: Uint8Array | string): Promise<void> {
    const writer = this.board.port.writable!.getWriter();
    try {
      await writer.write(typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes, 'latin1')) : bytes);
    } finally {
      writer.releaseLock();
    }
  }

  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => undefined);
    await this.done;
  }
}

const EOT = String.fromCharCode(4);

/** From the friendly REPL's prompt into the raw REPL (MicroPython's pyboard protocol). */
export async function enterRawRepl(lamp: { uart: Uart }, timeoutMs = 30_000): Promise<void> {
  await lamp.uart.waitFor(/>>> $/, timeoutMs);
  const at = lamp.uart.text.length;
  await lamp.uart.write('\x01');
  await lamp.uart.waitFor(/raw REPL; CTRL-B to exit\r\n>$/, timeoutMs, at);
}

/** Runs `code` at the raw REPL and returns what it printed; throws with the board's traceback. */
export async function rawExec(lamp: { uart: Uart }, code: string, timeoutMs = 30_000): Promise<string> {
  const from = lamp.uart.text.length;
  await lamp.uart.write(code.replace(/\n/g, '\r\n') + '\x04');
  // The answer: OK, the output, Ctrl-D, the error text, Ctrl-D, the prompt.
  const m = await lamp.uart.waitFor(new RegExp(`OK([\\s\\S]*?)${EOT}([\\s\\S]*?)${EOT}>`), timeoutMs, from);
  if (m[2]) throw new Error(`the board raised:\n${m[2]}`);
  return m[1]!;
}

export interface Lamp {
  board: Board;
  uart: Uart;
  /** The access points the board sees; the board reads this list each time it looks, so taking
   *  one out is that router switched off, putting it back is it on again. */
  accessPoints: AccessPoint[];
  close(): Promise<void>;
}

/** Time scale of the board's modelled delays (Wi-Fi association, the UART's pace). */
export const TIME_SCALE = 0.1;

/**
 * A board with MicroPython in its flash and, on its filesystem, the given files (our firmware and
 * a config.json unless told otherwise), powered on with its UART open.
 */
export async function startLamp(o: {
  chip?: ChipName;
  config?: object | string | null;
  files?: Record<string, string>;
  accessPoints?: AccessPoint[];
}): Promise<Lamp> {
  const chip = o.chip ?? 'esp8266';
  const flashSize = 4 * 1024 * 1024;
  const image = new Uint8Array(flashSize).fill(0xff);
  // MicroPython's image sits where the ROM looks for it: 0x0 on the ESP8266, 0x1000 on the ESP32.
  image.set(testImage(chip), chip === 'esp32' ? 0x1000 : 0);
  const files: Record<string, string> = { ...(o.files ?? (await firmwareSources())) };
  if (o.config !== null && o.config !== undefined) files['config.json'] = typeof o.config === 'string' ? o.config : JSON.stringify(o.config);
  writeBoardFiles(image, chip, files);
  const accessPoints = o.accessPoints ?? [HOME_AP];
  const board = createBoard({
    chip,
    flashSize,
    flashImage: image,
    app: createMicroPython().app,
    accessPoints,
    timeScale: TIME_SCALE,
  });
  const uart = new Uart(board);
  await uart.open();
  return {
    board,
    uart,
    accessPoints,
    async close() {
      await uart.close();
      await board.close();
    },
  };
}
