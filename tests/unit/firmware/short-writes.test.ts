// The virtual board's sockets write no more than lwIP would (tests/board/micropython/py/
// _nyala_socket.py, after MicroPython's extmod/modlwip.c lwip_tcp_send): short writes on blocking
// sockets, EAGAIN on non-blocking ones, seeded so a run repeats. Then the firmware through them:
// every packet mqtt.py sends still arrives whole.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Phone, deviceTopics, enterRawRepl, lampConfig, makeBroker, rawExec, startLamp, type Lamp } from './harness.ts';
import { Owner, newKey } from './signer.ts';

const BOOT_MS = 20_000;
const REPLY_MS = 5_000;

const WIFI = `import network, time, socket
w = network.WLAN(network.STA_IF)
w.active(True)
w.connect('Suko', 'sooko9999')
while not w.isconnected():
    time.sleep_ms(5)
`;

/** A TCP server that keeps every byte it receives, per connection. */
async function sink(): Promise<{ port: number; received: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('sockets on the virtual board write as lwIP does', () => {
  const lamps: Lamp[] = [];
  afterEach(async () => {
    for (const l of lamps.splice(0)) await l.close();
  }, 20_000);

  async function boardAtRepl(): Promise<Lamp> {
    const l = await startLamp({ config: null });
    lamps.push(l);
    await enterRawRepl(l);
    await rawExec(l, WIFI);
    return l;
  }

  // 40 sends of 200 distinct bytes on a blocking socket: what each send() returned, and the bytes
  // the other end got, which must be exactly the prefixes send() said it took.
  const SENDS = (port: number): string => `s = socket.socket()
s.connect(("127.0.0.1", ${port}))
data = bytes(range(200))
took = [s.send(data) for i in range(40)]
print(took)
print(socket.short_writes)
s.close()`;

  it('a blocking send may take only part of the buffer (at least 16 bytes), and the count says how much', async () => {
    const server = await sink();
    try {
      const l = await boardAtRepl();
      const out = (await rawExec(l, SENDS(server.port))).trim().split(/\r?\n/);
      const took = JSON.parse(out[0]!) as number[];
      expect(took.some((n) => n < 200)).toBe(true); // the old socket always took all 200
      expect(took.every((n) => n >= 16 && n <= 200)).toBe(true);
      expect(Number(out[1])).toBe(took.filter((n) => n < 200).length);
      const want = Buffer.concat(took.map((n) => Buffer.from(Array.from({ length: n }, (_, i) => i))));
      await expect.poll(() => server.received().length, { timeout: 5_000 }).toBe(want.length);
      expect(server.received().equals(want)).toBe(true);
    } finally {
      await server.close();
    }
  }, 40_000);

  it('is seeded: the same board (same MAC) makes the same short writes again', async () => {
    const server = await sink();
    try {
      const a = (await rawExec(await boardAtRepl(), SENDS(server.port))).split(/\r?\n/)[0];
      const b = (await rawExec(await boardAtRepl(), SENDS(server.port))).split(/\r?\n/)[0];
      expect(a).toBe(b);
    } finally {
      await server.close();
    }
  }, 40_000);

  it('a non-blocking send meets a full buffer now and then: OSError EAGAIN, nothing sent', async () => {
    const server = await sink();
    try {
      const l = await boardAtRepl();
      const out = await rawExec(
        l,
        `s = socket.socket()
s.connect(("127.0.0.1", ${server.port}))
s.setblocking(False)
sent = 0
again = 0
for i in range(64):
    try:
        sent += s.send(b"x" * 10)
    except OSError as e:
        if e.errno != 11:
            raise
        again += 1
print(sent, again, socket.eagains)
s.close()`,
      );
      const [sent, again, counted] = out.trim().split(' ').map(Number);
      expect(again).toBeGreaterThan(0);
      expect(counted).toBe(again);
      expect(sent).toBe((64 - again!) * 10);
      await expect.poll(() => server.received().length, { timeout: 5_000 }).toBe(sent);
    } finally {
      await server.close();
    }
  }, 40_000);
});

describe('the firmware through short writes', () => {
  const broker = makeBroker('mosquitto');
  beforeAll(() => broker.start(), 20_000);
  afterAll(() => broker.dispose(), 20_000);

  it("mqtt.py finishes every partial send: the signed lamp's messages arrive whole (their MACs check out)", async () => {
    const topics = deviceTopics('5e0d01');
    const owner = new Owner(newKey(), topics);
    const p = await Phone.connect(broker.port);
    const l = await startLamp({ config: lampConfig({ port: broker.port, clientId: 'nyala-short', topics, keepalive: 5, auth: { mode: 'signed', key: owner.key } }) });
    try {
      await p.subscribe(topics.status, topics.state, topics.reply);
      await p.waitCount(topics.state, 1, BOOT_MS);
      // Ten switches: each is a state and a reply (about 100 bytes each) from the lamp.
      for (let i = 0; i < 10; i++) {
        const states = p.on(topics.state).map((m) => owner.readState(m.payload.toString()));
        const current = states.at(-1);
        expect(current, `state ${i} is signed by the lamp`).toBeTruthy();
        const word = i % 2 === 0 ? 'on' : 'off';
        const n = p.on(topics.reply).length;
        await p.publish(topics.command, owner.command(word, current!.challenge));
        const [reply] = (await p.waitCount(topics.reply, n + 1, REPLY_MS)).slice(-1);
        expect(owner.readReply(reply!.payload.toString())).toEqual({ text: word === 'on' ? 'saya hidup' : 'saya mati', used: current!.challenge });
        await p.waitCount(topics.state, states.length + 1, REPLY_MS);
      }
      expect(owner.readStatus(p.on(topics.status)[0]!.payload.toString())?.word).toBe('online');
      expect(l.uart.countLines(/^nyala: mqtt ok$/)).toBe(1);
      // And partial sends did happen on the way (the old socket never made one).
      const at = l.uart.text.length;
      await l.uart.write('\x03');
      await l.uart.waitFor(/>>> $/, 10_000, at);
      await enterRawRepl(l);
      const shorts = Number((await rawExec(l, 'import socket\nprint(socket.short_writes)')).trim());
      expect(shorts).toBeGreaterThan(0);
    } finally {
      await p.end();
      await l.close();
    }
  }, 90_000);
});
