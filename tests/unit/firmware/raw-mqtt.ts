// MQTT 3.1.1 at the byte level, written from the specification (OASIS 2014) for the firmware's
// tests: a publisher that is not MQTT.js (the "any MQTT app" a stranger or a tutorial reader uses,
// as mosquitto_pub would be), and a scripted broker that speaks just enough MQTT to misbehave on
// purpose, then hands the lamp's next connections to a real broker.
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';

/** Remaining Length (2.2.3): 7 bits a byte, high bit = more follow. */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export function mqttString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

/** A PUBLISH packet (3.3); qos 1 or 2 gets packet id `pid`. */
export function publishPacket(topic: string, payload: string | Buffer, o: { qos?: number; retain?: boolean; pid?: number } = {}): Buffer {
  const qos = o.qos ?? 0;
  const parts = [mqttString(topic)];
  if (qos) {
    const pid = Buffer.alloc(2);
    pid.writeUInt16BE(o.pid ?? 1);
    parts.push(pid);
  }
  parts.push(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
  return packet(0x30 | (qos << 1) | (o.retain ? 1 : 0), Buffer.concat(parts));
}

/** Reads whole MQTT packets from a socket, one at a time. */
export class PacketReader {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private take(): { type: number; flags: number; body: Buffer } | null {
    let size = 0;
    let mul = 1;
    for (let i = 1; i <= 4 && i < this.buf.length; i++) {
      const b = this.buf[i]!;
      size += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) {
        if (this.buf.length < i + 1 + size) return null;
        const first = this.buf[0]!;
        const body = this.buf.subarray(i + 1, i + 1 + size);
        this.buf = this.buf.subarray(i + 1 + size);
        return { type: first >> 4, flags: first & 15, body };
      }
    }
    return null;
  }

  /** The next packet, or null when the socket closed first; rejects after timeoutMs. */
  next(timeoutMs = 10_000): Promise<{ type: number; flags: number; body: Buffer } | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for an MQTT packet')), timeoutMs);
      const tryTake = (): void => {
        const p = this.take();
        if (p || this.closed) {
          clearTimeout(timer);
          resolve(p);
        } else this.waiters.push(tryTake);
      };
      tryTake();
    });
  }
}

/** CONNECT, CONNACK, one PUBLISH at QoS 0, DISCONNECT: what `mosquitto_pub -t … -m …` does. */
export async function rawPublish(port: number, topic: string, payload: string | Buffer, o: { retain?: boolean } = {}): Promise<void> {
  const socket = tcpConnect(port, '127.0.0.1');
  const reader = new PacketReader(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  try {
    const id = `raw-${Math.random().toString(16).slice(2, 10)}`;
    // Protocol name, level 4, clean session, keepalive 10 s, then the client id.
    const connect = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0, 10]), mqttString(id)]);
    socket.write(packet(0x10, connect));
    const connack = await reader.next();
    if (!connack || connack.type !== 2 || connack.body[1] !== 0) throw new Error(`the broker did not take us: ${JSON.stringify(connack)}`);
    // QoS 1 so the broker's PUBACK says it has the message before we go.
    socket.write(publishPacket(topic, payload, { qos: 1, pid: 7, retain: o.retain }));
    for (;;) {
      const p = await reader.next();
      if (!p) throw new Error('the broker closed before its PUBACK');
      if (p.type === 4) break;
    }
    socket.write(Buffer.from([0xe0, 0]));
  } finally {
    socket.end();
    socket.destroySoon();
  }
}

export interface HostileConnection {
  socket: Socket;
  reader: PacketReader;
  /** The lamp's CONNECT body. */
  connect: Buffer;
  /** Bytes to the lamp. */
  send(bytes: Buffer | number[]): void;
  /** The usual answers to CONNECT and to the lamp's SUBSCRIBE (read from the socket). */
  connack(): void;
  suback(code?: number): Promise<void>;
}

/**
 * A TCP server for the lamp that runs `script` on the first connection (a broken or hostile
 * broker) and, once `good` is true, forwards every later connection to the real broker.
 */
export class HostileBroker {
  port = 0;
  good = false;
  connections = 0;
  private server: Server | null = null;
  private sockets = new Set<Socket>();

  constructor(
    private readonly realPort: number,
    private readonly script: (c: HostileConnection) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
      if (this.good) return this.forward(socket);
      const reader = new PacketReader(socket);
      void (async () => {
        const first = await reader.next(20_000).catch(() => null);
        if (!first || first.type !== 1) return socket.destroy();
        const send = (bytes: Buffer | number[]): void => {
          if (!socket.destroyed) socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
        };
        await this.script({
          socket,
          reader,
          connect: first.body,
          send,
          connack: () => send([0x20, 0x02, 0x00, 0x00]),
          suback: async (code = 1) => {
            const sub = await reader.next();
            if (!sub || sub.type !== 8) throw new Error(`expected SUBSCRIBE, got ${JSON.stringify(sub)}`);
            send(packet(0x90, Buffer.concat([sub.body.subarray(0, 2), Buffer.from([code])])));
          },
        }).catch(() => undefined);
      })();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private forward(inbound: Socket): void {
    const outbound = tcpConnect(this.realPort, '127.0.0.1');
    this.sockets.add(outbound);
    outbound.on('error', () => undefined);
    outbound.once('close', () => {
      this.sockets.delete(outbound);
      inbound.destroy();
    });
    inbound.once('close', () => outbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
