// The lamp firmware (firmware/*.py) on the virtual board with the real MicroPython, against real
// brokers: aedes and Mosquitto. An MQTT.js client stands in for the phone.
import { describe, expect, it } from 'vitest';
import {
  Phone,
  SilentProxy,
  TUTORIAL_TOPICS,
  brokerKinds,
  deviceTopics,
  lampConfig,
  makeBroker,
  useBroker,
  retained,
  startLamp,
  type Lamp,
  type Topics,
} from './harness.ts';

/** keepalive in the tests' config.json (seconds): short, so keepalive behaviour shows quickly */
const KEEPALIVE = 2;
const BOOT_MS = 20_000;
const REPLY_MS = 5_000;
const LAMP_PIN = 2;

let seq = 0;
const uniqueId = (): string => `${process.pid.toString(16)}${(seq++).toString(16)}`.slice(-6).padStart(6, '0');

describe.each(brokerKinds())('the lamp against %s', (kind) => {
  const { broker, cleanups } = useBroker(kind);

  async function phone(...topics: string[]): Promise<Phone> {
    const p = await Phone.connect(broker.port);
    cleanups.push(() => p.end());
    await p.subscribe(...topics);
    return p;
  }

  async function lamp(config: object, chip: 'esp8266' | 'esp32' = 'esp8266'): Promise<Lamp> {
    const l = await startLamp({ config, chip });
    cleanups.push(() => l.close());
    return l;
  }

  /** Boots a lamp on `topics` and waits until it said `online`. */
  async function onlineLamp(
    topics: Topics,
    o: { port?: number; clientId?: string; keepalive?: number } = {},
  ): Promise<{ lamp: Lamp; phone: Phone; clientId: string }> {
    const clientId = o.clientId ?? `nyala-${uniqueId()}`;
    const p = await phone(topics.status, topics.reply, topics.state);
    const l = await lamp(lampConfig({ port: o.port ?? broker.port, clientId, topics, keepalive: o.keepalive ?? KEEPALIVE }));
    await p.waitFor(topics.status, 'online', BOOT_MS);
    // The state comes last in the lamp's connect sequence: after it the lamp is in its main loop.
    await p.waitFor(topics.state, 'off', REPLY_MS);
    await l.uart.waitLines(/^nyala: mqtt ok$/, 1, REPLY_MS);
    return { lamp: l, phone: p, clientId };
  }

  it.each([
    ['per-device', deviceTopics('3f9a2c')],
    ["the tutorial's", TUTORIAL_TOPICS],
  ] as const)(
    'with %s topics: boots to online (retained), on/off drive GPIO2 and get the replies, the state is retained, a power cut brings the last will',
    async (_name, topics) => {
      const { lamp: l, phone: p } = await onlineLamp(topics);
      expect(await retained(broker.port, topics.status)).toBe('online');
      expect(await retained(broker.port, topics.state)).toBe('off');
      // The boot, one line per step, in the order of docs/contracts.md.
      expect(l.uart.lines().slice(0, 5)).toEqual([
        'nyala: config ok',
        'nyala: wifi connecting Suko',
        expect.stringMatching(/^nyala: wifi ok \d+\.\d+\.\d+\.\d+$/),
        `nyala: mqtt connecting 127.0.0.1:${broker.port}`,
        'nyala: mqtt ok',
      ]);

      await p.publish(topics.command, 'on');
      await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
      await l.board.gpio.waitFor(LAMP_PIN, 0, REPLY_MS); // active low: on = 0 V
      expect(await retained(broker.port, topics.state)).toBe('on');

      await p.publish(topics.command, 'off', { qos: 1 });
      await p.waitFor(topics.reply, 'saya mati', REPLY_MS);
      await l.board.gpio.waitFor(LAMP_PIN, 1, REPLY_MS);
      expect(await retained(broker.port, topics.state)).toBe('off');
      // The UART is slower than the network: wait for the line, then look at all of them.
      await l.uart.waitLines(/^nyala: lamp off$/, 1, REPLY_MS);
      expect(l.uart.lines().filter((x) => x.startsWith('nyala: lamp'))).toEqual(['nyala: lamp on', 'nyala: lamp off']);

      // Power cut: no DISCONNECT, so the broker publishes the will.
      const mark = p.messages.length;
      l.board.faults.unplug();
      await p.waitFor(topics.status, 'offline', 10_000, mark);
      expect(await retained(broker.port, topics.status)).toBe('offline');
    },
    60_000,
  );

  it('on an ESP32 with an active-high lamp, "on" drives GPIO2 high', async () => {
    const topics = deviceTopics(uniqueId());
    const p = await phone(topics.status, topics.reply);
    const config = lampConfig({ port: broker.port, clientId: `nyala-${uniqueId()}`, topics, keepalive: KEEPALIVE });
    const l = await lamp({ ...config, lamp: { pin: 2, active_low: false } }, 'esp32');
    await p.waitFor(topics.status, 'online', BOOT_MS);
    expect(l.board.gpio.read(LAMP_PIN)).toBe(0); // off at boot
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    await l.board.gpio.waitFor(LAMP_PIN, 1, REPLY_MS);
  }, 60_000);

  it('100 toggles sent back to back: at most one switch per 250 ms, the last command wins, none after the flood is lost', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l, phone: p } = await onlineLamp(topics);
    const words = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 'on' : 'off'));
    // Sent back to back, without waiting for any reply (a flood: a relay must not chatter), then
    // a word the lamp ignores with a line of its own: after that line it has read the whole flood.
    const start = Date.now();
    await Promise.all(words.map((w) => p.publish(topics.command, w)));
    await p.publish(topics.command, 'mark', { qos: 1 });
    await l.uart.waitLines(/^nyala: lamp ignored 4 bytes$/, 1, 30_000);
    // The last word ("off") is applied within one gap after that; then nothing moves any more.
    const switchLines = (): Array<{ line: string; at: number }> => l.uart.logLines.filter((x) => /^nyala: lamp (on|off)$/.test(x.line));
    let seen = -1;
    for (;;) {
      const n = switchLines().length;
      if (n === seen && p.on(topics.reply).length === n && l.board.gpio.read(LAMP_PIN) === 1) break;
      seen = n;
      // Quiet for longer than the gap: a switch still waiting would have happened by then.
      await l.uart.waitLines(/^nyala: lamp (on|off)$/, n + 1, 600).catch(() => undefined);
      expect(Date.now() - start).toBeLessThan(60_000);
    }
    const switches = switchLines();
    const elapsed = switches.at(-1)!.at - switches[0]!.at;
    // At least the first and the last; never two within 250 ms (the UART's timestamps can bunch
    // lines a little: allow one extra).
    expect(switches.length).toBeGreaterThanOrEqual(2);
    expect(switches.length).toBeLessThan(50);
    expect(switches.length).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 2);
    expect(switches.at(-1)!.line).toBe('nyala: lamp off');
    // One reply per switch, in the same order.
    expect(p.on(topics.reply).map((r) => r.payload.toString())).toEqual(switches.map((x) => (x.line.endsWith('on') ? 'saya hidup' : 'saya mati')));
    expect(await retained(broker.port, topics.state)).toBe('off');
    expect(l.uart.countLines(/^nyala: mqtt ok$/)).toBe(1);
    // And the next command after the flood is not lost.
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS, p.messages.length);
    await l.board.gpio.waitFor(LAMP_PIN, 0, REPLY_MS);
  }, 120_000);

  it('odd payloads (empty, 10 KB, binary, "ON") are ignored with a line and do not crash it', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l, phone: p } = await onlineLamp(topics);
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // has \x03 and \x04 in it
    await p.publish(topics.command, '');
    await p.publish(topics.command, 'x'.repeat(10 * 1024), { qos: 1 });
    await p.publish(topics.command, binary);
    await p.publish(topics.command, 'ON');
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', 20_000);
    await l.board.gpio.waitFor(LAMP_PIN, 0, REPLY_MS);
    await l.uart.waitLines(/^nyala: lamp on$/, 1, REPLY_MS); // the UART is slower than the network
    expect(l.uart.lines().filter((x) => x.startsWith('nyala: lamp'))).toEqual([
      'nyala: lamp ignored 0 bytes',
      'nyala: lamp ignored >256 bytes',
      'nyala: lamp ignored 256 bytes',
      'nyala: lamp ignored 2 bytes',
      'nyala: lamp on',
    ]);
    // Still the first connection: nothing was fatal.
    expect(l.uart.countLines(/^nyala: mqtt (ok|error)/)).toBe(1);
    expect(p.on(topics.reply).map((r) => r.payload.toString())).toEqual(['saya hidup']);
  }, 60_000);

  it('keepalive: with no traffic the broker sees PINGREQs at the keepalive pace and never drops the lamp', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l, phone: p, clientId } = await onlineLamp(topics);
    const start = Date.now();
    await broker.waitPings(clientId, 3, 8 * KEEPALIVE * 1000);
    const elapsed = Date.now() - start;
    // Three pings take at least two keepalive intervals (pinging at half the interval or faster
    // would be wasteful), and the broker (which allows 1.5 intervals) never gave up on the lamp.
    expect(elapsed).toBeGreaterThanOrEqual(2 * KEEPALIVE * 1000 - 300);
    expect(broker.keepaliveTimeouts(clientId)).toBe(0);
    expect(p.on(topics.status).map((m) => m.payload.toString())).toEqual(['online']);
    expect(l.uart.countLines(/^nyala: mqtt (ok|error)/)).toBe(1);
  }, 60_000);

  it('a dead link that stays open is noticed within about 1.5 keepalives, and the lamp is back once the path is', async () => {
    const proxy = new SilentProxy(broker.port);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const topics = deviceTopics(uniqueId());
    // A longer keepalive here, so the bound is about the firmware and not this machine's load.
    const keepalive = 2 * KEEPALIVE;
    const { lamp: l, phone: p } = await onlineLamp(topics, { port: proxy.port, keepalive });
    expect(l.uart.countLines(/^nyala: mqtt ok$/)).toBe(1);

    const mark = p.messages.length;
    proxy.forwarding = false;
    const cut = Date.now();
    const [lost] = await l.uart.waitLines(/^nyala: mqtt error (lost|timeout)/, 1, 4 * keepalive * 1000);
    const noticedAfter = lost!.at - cut;
    // No PINGRESP in time, or (when the path died while the lamp waited for a PUBACK) no answer
    // within a keepalive.
    expect(lost!.line).toMatch(/^nyala: mqtt error (lost ping|timeout)$/);
    // No PINGRESP within half a keepalive after a ping that is due a keepalive after the broker
    // was last heard: between 0.5 and 1.5 keepalives (plus the main loop's 200 ms turn and the
    // UART), never a reset and never forever.
    expect(noticedAfter).toBeGreaterThanOrEqual(0.5 * keepalive * 1000 - 100);
    expect(noticedAfter).toBeLessThanOrEqual(1.5 * keepalive * 1000 + 1000);

    proxy.forwarding = true;
    await l.uart.waitLines(/^nyala: mqtt ok$/, 2, 30_000);
    await p.waitFor(topics.status, 'online', 10_000, mark);
    expect(await retained(broker.port, topics.status)).toBe('online');
    // And it works again.
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    expect(l.uart.countLines(/^nyala: config ok$/)).toBe(1); // no reset on the way
  }, 90_000);

  it('Wi-Fi gone and back: the lamp says why, keeps trying, and is online again without a reset', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l, phone: p } = await onlineLamp(topics);
    const router = l.accessPoints.splice(0); // the router is switched off
    await l.uart.waitLines(/^nyala: mqtt error lost wifi$/, 1, 10_000);
    await l.uart.waitLines(/^nyala: wifi error no-ap$/, 1, 10_000);
    const mark = p.messages.length;
    l.accessPoints.push(...router); // and on again
    await l.uart.waitLines(/^nyala: mqtt ok$/, 2, 30_000);
    await p.waitFor(topics.status, 'online', 10_000, mark);
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    expect(l.uart.countLines(/^nyala: config ok$/)).toBe(1);
  }, 60_000);

  it('a broker with a password: the right user and password get in, wrong ones get "auth" and patient retries', async () => {
    const cred = { user: 'lampu', password: 'rahasia' };
    const locked = makeBroker(kind, cred);
    await locked.start();
    cleanups.push(() => locked.dispose());
    const topics = deviceTopics(uniqueId());
    const p = await Phone.connect(locked.port, undefined, cred);
    cleanups.push(() => p.end());
    await p.subscribe(topics.status, topics.reply);

    const good = await lamp(lampConfig({ port: locked.port, clientId: `nyala-${uniqueId()}`, topics, ...cred }));
    await p.waitFor(topics.status, 'online', BOOT_MS);
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    await good.close();

    const bad = await lamp(lampConfig({ port: locked.port, clientId: `nyala-${uniqueId()}`, topics: deviceTopics(uniqueId()), user: cred.user, password: 'salah' }));
    const errors = await bad.uart.waitLines(/^nyala: mqtt error/, 2, 20_000);
    // 4 = bad user name or password, 5 = not authorised (MQTT 3.1.1, 3.2.2.3): brokers pick either.
    for (const e of errors) expect(e.line).toMatch(/^nyala: mqtt error auth [45]$/);
    expect(bad.uart.countLines(/^nyala: config ok$/)).toBe(1);
    expect(bad.uart.text).not.toContain('salah');
  }, 60_000);

  it('Ctrl-C during the main loop gives the REPL back (and the broker says offline)', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l, phone: p } = await onlineLamp(topics);
    const from = l.uart.text.length;
    await l.uart.write('\x03');
    await l.uart.waitFor(/KeyboardInterrupt[\s\S]*>>> $/, 10_000, from);
    await p.waitFor(topics.status, 'offline', 10_000);
    const at = l.uart.text.length;
    await l.uart.write('print(6 * 7)\r');
    await l.uart.waitFor(/42\r\n>>> $/, 10_000, at);
    expect(l.board.state).toBe('app');
  }, 60_000);

  // Last: it stops the broker the other tests share (and starts it again).
  it('broker stopped and started again: the lamp reconnects and is online again', async () => {
    const topics = deviceTopics(uniqueId());
    const { lamp: l } = await onlineLamp(topics);
    await broker.stop();
    await l.uart.waitLines(/^nyala: mqtt error lost/, 1, 10_000);
    // While the broker is away the lamp keeps trying, with growing pauses.
    await l.uart.waitLines(/^nyala: mqtt error refused/, 1, 10_000);
    await broker.start();
    const p = await phone(topics.status, topics.reply);
    await l.uart.waitLines(/^nyala: mqtt ok$/, 2, 30_000);
    // A restarted broker forgot the retained messages; the lamp says online again.
    await p.waitFor(topics.status, 'online', 10_000);
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    expect(l.uart.countLines(/^nyala: config ok$/)).toBe(1);
  }, 90_000);
});
