// The firmware against a broken or hostile broker: a scripted TCP server (./raw-mqtt.ts) speaks
// just enough MQTT to misbehave in one way per test, then the lamp's next connections go to a
// real broker (aedes, Mosquitto). Each time: the lamp says what went wrong in one line, its main
// loop keeps running, reading any one packet never grows the heap past PACKET_HEAP_BUDGET, and
// once the good broker is there the lamp is online within 1.5 × keepalive.
//
// How the heap is measured: a boot.py (a test probe, not part of the firmware) wraps mqtt.py's
// _read_packet and records how much gc.mem_alloc() grew while one packet was read, and the
// longest the queue of pending messages got. The WebAssembly MicroPython collects no garbage
// inside a running program (tests/board/micropython/README.md), so that growth counts every
// byte allocated for the packet, garbage included: an upper bound on what it needs at once. It
// also counts the virtual board's own socket and poll, which are Python here (about 370 B per
// poll() and three times the bytes per recv(), measured) and C on a chip: the budget below is for
// the virtual board; on a chip the same packets need less than half of it.
import { afterEach, describe, expect, it } from 'vitest';
import { Phone, brokerKinds, deviceTopics, enterRawRepl, lampConfig, rawExec, useBroker, startLamp, firmwareSources, type Lamp, type Topics } from './harness.ts';
import { HostileBroker, mqttString, packet, publishPacket, type HostileConnection } from './raw-mqtt.ts';
import { Owner, newKey } from './signer.ts';

/** keepalive (s) in these tests' config.json */
const KEEPALIVE = 4;
const REPLY_MS = 5_000;
/** The most reading one packet may add to the heap on the virtual board, whatever the broker
 *  sends (bytes; a 110-byte signed command measures about 1.4 KB, a QoS 1 one with its PUBACK
 *  about 2.1 KB). The old reader kept whatever the broker announced. */
const PACKET_HEAP_BUDGET = 2560;
/** mqtt.py's MAX_PENDING */
const MAX_PENDING = 4;

const PROBE = `# Test probe (not firmware): heap growth while mqtt.py reads one packet, and the pending queue.
import gc
import mqtt
probe = [0, 0, 0]  # largest growth (bytes), packets read, longest pending queue
_read = mqtt.Client._read_packet


def _measured(self):
    before = gc.mem_alloc()
    try:
        return _read(self)
    finally:
        grew = gc.mem_alloc() - before
        if grew > probe[0]:
            probe[0] = grew
        probe[1] += 1
        if len(self.pending) > probe[2]:
            probe[2] = len(self.pending)


mqtt.Client._read_packet = _measured
mqtt.probe = probe
`;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Case {
  name: string;
  /** what the lamp prints when it gives up on this connection */
  line: RegExp;
  script: (c: HostileConnection, ctx: { topics: Topics; owner: Owner }) => Promise<void>;
}

/** CONNACK and SUBACK as a broker gives them: the lamp is in its main loop after this. */
async function welcome(c: HostileConnection): Promise<void> {
  c.connack();
  await c.suback(1);
}

const CASES: Case[] = [
  {
    name: 'a PUBLISH with a remaining length of 268435455 (256 MB)',
    line: /^nyala: mqtt error protocol too-big$/,
    async script(c, { topics }) {
      await welcome(c);
      // The largest remaining length MQTT can say (2.2.3), then a start of what it promises.
      c.send(Buffer.concat([Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), mqttString(topics.command), Buffer.alloc(4096, 0x41)]));
    },
  },
  {
    name: 'a topic length beyond the end of the packet',
    line: /^nyala: mqtt error protocol topic$/,
    async script(c) {
      await welcome(c);
      // Remaining length 12; the topic claims 500 bytes.
      c.send(packet(0x30, Buffer.concat([Buffer.from([0x01, 0xf4]), Buffer.from('nyala/lampu')])));
    },
  },
  {
    name: 'a QoS 2 PUBLISH (the lamp subscribed at QoS 1)',
    line: /^nyala: mqtt error protocol qos2$/,
    async script(c, { topics }) {
      await welcome(c);
      c.send(publishPacket(topics.command, 'on', { qos: 2, pid: 9 }));
    },
  },
  {
    name: 'an unknown packet type (15, reserved)',
    line: /^nyala: mqtt error protocol type15$/,
    async script(c) {
      await welcome(c);
      c.send([0xf0, 0x00]);
    },
  },
  {
    name: 'a CONNACK of two bytes in all (no flags, no return code)',
    line: /^nyala: mqtt error protocol connack$/,
    async script(c) {
      c.send([0x20, 0x00]);
    },
  },
  {
    name: 'a CONNACK cut short (it promises two bytes, then nothing)',
    line: /^nyala: mqtt error timeout packet$/,
    async script(c) {
      c.send([0x20, 0x02]);
    },
  },
  {
    name: 'a SUBACK with failure code 0x80',
    line: /^nyala: mqtt error refused subscribe$/,
    async script(c) {
      c.connack();
      await c.suback(0x80);
    },
  },
  {
    name: 'a PUBLISH dripped one byte per second',
    line: /^nyala: mqtt error timeout packet$/,
    async script(c, { topics }) {
      await welcome(c);
      const bytes = publishPacket(topics.command, 'on');
      for (const b of bytes) {
        if (c.socket.destroyed) return;
        c.send([b]);
        await delay(1000);
      }
    },
  },
  {
    name: '1000 PUBLISHes in a second (some QoS 1), partly while the lamp waits for a PUBACK',
    line: /^nyala: mqtt error lost (closed|104)$/,
    async script(c, { topics, owner }) {
      c.connack();
      await c.suback(1);
      const flood = (from: number): Buffer[] =>
        Array.from({ length: 500 }, (_, i) => {
          const k = from + i;
          // Plain words, made-up MACs and a command signed with another key, QoS 0 and 1.
          const payload = k % 3 === 0 ? 'on' : k % 3 === 1 ? `on ${'0'.repeat(16)} ${'ab'.repeat(32)}` : new Owner(newKey(), owner.topics).command('off', '0123456789abcdef');
          return publishPacket(topics.command, payload, { qos: k % 2, pid: (k % 60000) + 1 });
        });
      // The lamp's "online" is QoS 1: hold its PUBACK back while the first half floods in.
      const online = await c.reader.next();
      if (!online || online.type !== 3) throw new Error('expected the lamp to publish online');
      const pid = online.body.subarray(2 + online.body.readUInt16BE(0), 4 + online.body.readUInt16BE(0));
      for (const p of flood(0)) c.send(p);
      await delay(300);
      c.send(packet(0x40, Buffer.from(pid)));
      // Its state is QoS 1 too: answer it (and every later one) as a broker would.
      void (async () => {
        for (;;) {
          const p = await c.reader.next(60_000).catch(() => null);
          if (!p) return;
          if (p.type === 3 && (p.flags & 6) === 2) {
            const n = p.body.readUInt16BE(0);
            c.send(packet(0x40, p.body.subarray(2 + n, 4 + n)));
          }
          if (p.type === 12) c.send([0xd0, 0x00]);
        }
      })();
      await delay(200);
      for (const p of flood(500)) c.send(p);
      // Then the broker goes away; the lamp must find the good one.
      await delay(500);
      c.socket.destroy();
    },
  },
];

let seq = 0;
const uniqueId = (): string => `${(process.pid + 0xa000).toString(16)}${(seq++).toString(16)}`.slice(-6).padStart(6, '0');

describe.each(brokerKinds())('a hostile broker, then %s', (kind) => {
  const { broker, cleanups } = useBroker(kind);

  it.each(CASES)('$name', async ({ line, script }) => {
    const topics = deviceTopics(uniqueId());
    const owner = new Owner(newKey(), topics);
    const hostile = new HostileBroker(broker.port, (c) => script(c, { topics, owner }));
    await hostile.start();
    cleanups.push(() => hostile.close());
    const p = await Phone.connect(broker.port);
    cleanups.push(() => p.end());
    await p.subscribe(topics.status, topics.state, topics.reply);

    const files = { ...(await firmwareSources()), 'boot.py': PROBE };
    const config = lampConfig({ port: hostile.port, clientId: `nyala-${uniqueId()}`, topics, keepalive: KEEPALIVE, auth: { mode: 'signed', key: owner.key } });
    const l: Lamp = await startLamp({ files, config });
    cleanups.push(() => l.close());

    // One line says what went wrong; the program did not die with it.
    const [error] = await l.uart.waitLines(/^nyala: mqtt error /, 1, 30_000);
    expect(error!.line).toMatch(line);
    expect(l.uart.text).not.toContain('Traceback');

    // The good broker is there from now on: online within 1.5 × keepalive.
    hostile.good = true;
    const back = Date.now();
    await p.waitCount(topics.status, 1, 1.5 * KEEPALIVE * 1000);
    const online = owner.readStatus(p.on(topics.status)[0]!.payload.toString());
    expect(online?.word).toBe('online');
    expect(Date.now() - back).toBeLessThanOrEqual(1.5 * KEEPALIVE * 1000);

    // The main loop runs: the owner switches the lamp.
    const [state] = await p.waitCount(topics.state, 1, REPLY_MS);
    const { challenge } = owner.readState(state!.payload.toString())!;
    await p.publish(topics.command, owner.command('on', challenge));
    await p.waitCount(topics.reply, 1, REPLY_MS);
    expect(owner.readReply(p.on(topics.reply)[0]!.payload.toString())).toEqual({ text: 'saya hidup', used: challenge });
    await l.board.gpio.waitFor(2, 0, REPLY_MS);
    // No switch but the owner's (a flood of commands moved nothing).
    expect(l.uart.countLines(/^nyala: lamp (on|off)$/)).toBe(1);
    expect(l.uart.text).not.toContain('Traceback');

    // The heap, from the probe: stop the program and ask.
    const at = l.uart.text.length;
    await l.uart.write('\x03');
    await l.uart.waitFor(/>>> $/, 10_000, at);
    await enterRawRepl(l);
    const [grew, packets, pending] = (await rawExec(l, 'import mqtt\nprint(*mqtt.probe)')).trim().split(' ').map(Number);
    console.log(`${kind} ${error!.line}: largest growth for one packet ${grew} B over ${packets} packets, pending ≤ ${pending}`);
    expect(packets).toBeGreaterThan(2);
    expect(grew).toBeLessThanOrEqual(PACKET_HEAP_BUDGET);
    expect(pending).toBeLessThanOrEqual(MAX_PENDING);
  }, 60_000);
});

describe('a broker that takes the lamp in and throws it out at once', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  }, 20_000);

  it('does not reset the pauses: they keep growing (1, 2, 4 s, plus jitter), as a session must last 60 s first', async () => {
    const topics = deviceTopics(uniqueId());
    // Every connection: CONNACK, SUBACK, then the connection is cut. It never turns good.
    const hostile = new HostileBroker(0, async (c) => {
      await welcome(c);
      c.socket.destroy();
    });
    hostile.good = false;
    await hostile.start();
    cleanups.push(() => hostile.close());
    const config = lampConfig({ port: hostile.port, clientId: `nyala-${uniqueId()}`, topics, keepalive: KEEPALIVE, auth: { mode: 'signed', key: newKey() } });
    const l = await startLamp({ config });
    cleanups.push(() => l.close());
    const attempts = await l.uart.waitLines(/^nyala: mqtt connecting /, 4, 30_000);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    // Each gap is the pause (1 s, 2 s, 4 s, each plus up to half again) and a quick reconnect.
    expect(gaps[0]).toBeGreaterThanOrEqual(1000 - 50);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000 - 50);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000 - 50);
    expect(gaps[2]).toBeLessThanOrEqual(6000 + 3000);
    // Every session got as far as "mqtt ok": a reset on connecting would have kept the pauses at 1 s.
    expect(l.uart.countLines(/^nyala: mqtt ok$/)).toBeGreaterThanOrEqual(3);
    expect(hostile.connections).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
