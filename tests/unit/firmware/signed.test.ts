// The signed lamp (docs/contracts.md, "The signed lamp protocol"): the real firmware on the virtual
// board against aedes and Mosquitto. The owner's phone signs with node:crypto (./signer.ts); a
// stranger has everything but the key: it reads every topic, publishes anything (retained too),
// connects with any client id, records and replays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Phone,
  TUTORIAL_TOPICS,
  brokerKinds,
  deviceTopics,
  enterRawRepl,
  lampConfig,
  useBroker,
  rawExec,
  retained,
  startLamp,
  type Auth,
  type Lamp,
  type Topics,
} from './harness.ts';
import { rawPublish } from './raw-mqtt.ts';
import { HEX16, Owner, mac, newKey } from './signer.ts';

const KEEPALIVE = 2;
const BOOT_MS = 20_000;
const REPLY_MS = 5_000;
const LAMP_PIN = 2;
const OFF = 1; // active low
const ON = 0;

let seq = 0;
const uniqueId = (): string => `${(process.pid + 0x5000).toString(16)}${(seq++).toString(16)}`.slice(-6).padStart(6, '0');

describe('the MAC, computed by the firmware on the board', () => {
  let lamp: Lamp;
  beforeAll(async () => {
    lamp = await startLamp({ config: null });
    await enterRawRepl(lamp);
    // main.py found no config.json and returned; importing it again gives its functions.
    await rawExec(lamp, 'import main');
  }, 40_000);
  afterAll(() => lamp.close());

  const signOnBoard = async (keyHex: string, kind: string, topic: string, body: string): Promise<string> => {
    const out = await rawExec(lamp, `print(main.mac(bytes.fromhex(${JSON.stringify(keyHex)}), ${JSON.stringify(kind)}, ${JSON.stringify(topic)}, ${JSON.stringify(body)}).decode())`);
    return out.trim();
  };

  it.each([
    ['cmd', 'nyala/3f9a2c/lampu', 'on 0123456789abcdef', '70ec17d833d6d3d7b586c938b26992f1bdf319f49411195da200e8adb6ee39f9'],
    ['state', 'nyala/3f9a2c/state', 'off 89abcdef01234567', '96b25a1290090235f0ae2be747850f00e2e306ff428f153519a625b0657c9f6d'],
    ['reply', 'nyala/3f9a2c/loger', 'saya hidup 0123456789abcdef', 'b27fb298f2c2acf8ac7d81d60eb6267bab62c03dd3c6b85796e33f2121d85287'],
    ['status', 'nyala/3f9a2c/status', 'offline fedcba9876543210', '6081bd3eb592ab24f7eed087d2a2fe55bda086fe3ac993e0f01b4605236c9dcb'],
  ] as const)("the contract's test vector: %s", async (kind, topic, body, want) => {
    const key = '000102030405060708090a0b0c0d0e0f';
    // The vector itself, checked with node:crypto, then the board's answer.
    expect(mac(key, kind, topic, body)).toBe(want);
    expect(await signOnBoard(key, kind, topic, body)).toBe(want);
  }, 20_000);

  it('agrees with node:crypto on random keys, topics and bodies', async () => {
    for (let i = 0; i < 5; i++) {
      const key = newKey();
      const topic = `nyala/${uniqueId()}/lampu`;
      const body = `${i % 2 ? 'on' : 'off'} ${newKey().slice(0, 16)}`;
      expect(await signOnBoard(key, 'cmd', topic, body)).toBe(mac(key, 'cmd', topic, body));
    }
  }, 30_000);

  it('compares MACs in full: same() is false for any one differing digit', async () => {
    const out = await rawExec(
      lamp,
      "a = b'0123456789abcdef' * 4\nprint(main.same(a, a), main.same(a, a[:-1] + b'0'), main.same(b'1' + a[1:], a), main.same(a, a[:-1]))",
    );
    expect(out.trim()).toBe('True False False False');
  }, 20_000);
});

describe.each(brokerKinds())('a signed lamp against %s', (kind) => {
  const { broker, cleanups } = useBroker(kind);

  async function phone(...topics: string[]): Promise<Phone> {
    const p = await Phone.connect(broker.port);
    cleanups.push(() => p.end());
    if (topics.length) await p.subscribe(...topics);
    return p;
  }

  async function lamp(topics: Topics, auth: Auth, clientId = `nyala-${uniqueId()}`): Promise<Lamp> {
    const l = await startLamp({ config: lampConfig({ port: broker.port, clientId, topics, keepalive: KEEPALIVE, auth }) });
    cleanups.push(() => l.close());
    return l;
  }

  /** The owner's phone: subscribed to the lamp's topics, believes only what its key verifies. */
  function ownerOf(p: Phone, owner: Owner) {
    const states = () => p.on(owner.topics.state).map((m) => owner.readState(m.payload.toString('latin1')));
    return {
      /** Waits for a state this phone has not yet seen used; returns its challenge. */
      async challenge(notOneOf: Set<string> = new Set()): Promise<{ word: string; challenge: string }> {
        for (;;) {
          const s = states().filter((x) => x && !notOneOf.has(x.challenge)).pop();
          if (s) return s;
          await p.waitCount(owner.topics.state, p.on(owner.topics.state).length + 1, REPLY_MS);
        }
      },
      /** Switches the lamp as the owner's remote does; returns the command it sent. */
      async switchTo(l: Lamp, word: 'on' | 'off', used: Set<string>): Promise<string> {
        const { challenge } = await this.challenge(used);
        const command = owner.command(word, challenge);
        const from = p.messages.length;
        await p.publish(owner.topics.command, command);
        // Confirmed only by a reply with a valid MAC that names the challenge it used.
        const text = word === 'on' ? 'saya hidup' : 'saya mati';
        const deadline = Date.now() + 2 * REPLY_MS;
        for (;;) {
          const replies = p.messages.slice(from).filter((m) => m.topic === owner.topics.reply);
          const ok = replies.map((m) => owner.readReply(m.payload.toString('latin1'))).find((r) => r && r.used === challenge);
          if (ok) {
            expect(ok.text).toBe(text);
            break;
          }
          if (Date.now() > deadline) throw new Error(`no signed reply for ${challenge}: ${replies.map((m) => m.payload.toString()).join(' | ')}`);
          await p.waitCount(owner.topics.reply, p.on(owner.topics.reply).length + 1, 500).catch(() => undefined);
        }
        used.add(challenge);
        await l.board.gpio.waitFor(LAMP_PIN, word === 'on' ? ON : OFF, REPLY_MS);
        return command;
      },
    };
  }

  /** Resolves true if the pin ever reaches `level` while watching; stop() ends the watch. */
  function watchPin(l: Lamp, level: 0 | 1): { moved: () => boolean } {
    let moved = false;
    l.board.gpio.waitFor(LAMP_PIN, level, 120_000).then(
      () => (moved = true),
      () => undefined,
    );
    return { moved: () => moved };
  }

  it('boots with a signed online and a signed state; only the key tells on from off', async () => {
    const topics = deviceTopics(uniqueId());
    const owner = new Owner(newKey(), topics);
    const p = await phone(topics.status, topics.state, topics.reply);
    const l = await lamp(topics, { mode: 'signed', key: owner.key });
    const online = await p.waitCount(topics.status, 1, BOOT_MS);
    const status = owner.readStatus(online[0]!.payload.toString());
    expect(status?.word).toBe('online');
    expect(status?.sid).toMatch(HEX16);
    // A person watching with any MQTT app still reads the word first.
    expect(online[0]!.payload.toString()).toMatch(/^online [0-9a-f]{16} [0-9a-f]{64}$/);
    const [state] = await p.waitCount(topics.state, 1, REPLY_MS);
    expect(state!.payload.toString()).toMatch(/^[0-9a-f]{16} [0-9a-f]{64}$/);
    expect(owner.readState(state!.payload.toString())?.word).toBe('off');
    // Both retained, and another key reads neither.
    expect(await retained(broker.port, topics.status)).toBe(online[0]!.payload.toString());
    expect(await retained(broker.port, topics.state)).toBe(state!.payload.toString());
    const stranger = new Owner(newKey(), topics);
    expect(stranger.readState(state!.payload.toString())).toBeNull();
    expect(stranger.readStatus(online[0]!.payload.toString())).toBeNull();

    const o = ownerOf(p, owner);
    const used = new Set<string>();
    await o.switchTo(l, 'on', used);
    // The new state carries a new challenge, and says "on" to the key holder.
    const next = await o.challenge(used).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(p.messages.map((m) => [m.topic, m.payload.toString(), m.retain]))}\n${l.uart.lines().join('\n')}`);
    });
    expect(next.word).toBe('on');
    await o.switchTo(l, 'off', used);
    await l.uart.waitLines(/^nyala: lamp off$/, 1, REPLY_MS);
    expect(l.uart.lines().filter((x) => x.startsWith('nyala: lamp'))).toEqual(['nyala: lamp on', 'nyala: lamp off']);

    // The last will is signed too, with the session id of the online.
    const mark = p.messages.length;
    l.board.faults.unplug();
    const [will] = await p.waitCount(topics.status, 2, 10_000).then((m) => m.slice(-1));
    expect(p.messages.length).toBeGreaterThan(mark);
    expect(owner.readStatus(will!.payload.toString())).toEqual({ word: 'offline', sid: status!.sid });
  }, 60_000);

  it("a stranger's commands never move the GPIO, and the owner switches it right after each one", async () => {
    const topics = deviceTopics(uniqueId());
    const owner = new Owner(newKey(), topics);
    const p = await phone(topics.status, topics.state, topics.reply);
    const l = await lamp(topics, { mode: 'signed', key: owner.key });
    await p.waitCount(topics.status, 1, BOOT_MS);
    const o = ownerOf(p, owner);
    const used = new Set<string>();
    // The stranger reads everything the owner's phone reads, and keeps it.
    const stranger = await phone(topics.status, topics.state, topics.reply, topics.command);

    const current = async (): Promise<string> => (await o.challenge(used)).challenge;
    let refusals = 0;
    async function attempt(what: string, payload: string, reason: string, send = (x: string) => stranger.publish(topics.command, x)): Promise<void> {
      expect(l.board.gpio.read(LAMP_PIN), what).toBe(OFF);
      const switches = l.uart.countLines(/^nyala: lamp (on|off)$/);
      const watch = watchPin(l, ON);
      await send(payload);
      refusals++;
      const lines = await l.uart.waitLines(/^nyala: lamp refused /, refusals, REPLY_MS);
      expect(lines.at(-1)!.line, what).toBe(`nyala: lamp refused ${reason}`);
      expect(watch.moved(), what).toBe(false);
      expect(l.uart.countLines(/^nyala: lamp (on|off)$/), what).toBe(switches);
      // The owner's next command still works at once.
      await o.switchTo(l, 'on', used);
      await o.switchTo(l, 'off', used);
    }

    // The tutorial's plain "on", sent by an MQTT client of its own (not MQTT.js).
    await attempt('plain on', 'on', 'malformed', (x) => rawPublish(broker.port, topics.command, x));
    await attempt('a made-up MAC', `on ${await current()} ${'ab'.repeat(32)}`, 'bad-mac');
    await attempt("signed with another lamp's key", new Owner(newKey(), topics).command('on', await current()), 'bad-mac');
    // The owner's own words, in the command's place on another lamp's topic, do not carry over.
    await attempt('signed for another topic', new Owner(owner.key, deviceTopics('000000')).command('on', await current()), 'bad-mac');
    await attempt('uppercase hex', owner.command('on', await current()).toUpperCase().replace(/^ON/, 'on'), 'bad-mac');
    // Replays of what the owner sent (the stranger saw every command on the topic).
    // (Only the owner's: the stranger's own attempts are on the topic too.)
    const sent = stranger
      .on(topics.command)
      .map((m) => m.payload.toString())
      .filter((x) => x.startsWith('on ') && owner.command('on', x.split(' ')[1]!) === x);
    expect(sent.length).toBeGreaterThan(0);
    const stateCount = p.on(topics.state).length;
    await attempt('a recorded "on", replayed after the lamp switched', sent.at(-1)!, 'stale');
    // A stale command makes the lamp say its state again, so an honest phone can catch up.
    expect(p.on(topics.state).length).toBeGreaterThan(stateCount);

    // A command the stranger caught before the owner's phone used it... is spent once used, too.
    const ch = await current();
    const caught = owner.command('on', ch);
    await p.publish(topics.command, caught);
    await l.board.gpio.waitFor(LAMP_PIN, ON, REPLY_MS);
    used.add(ch);
    await o.switchTo(l, 'off', used);
    await attempt('a caught command replayed after it was used', caught, 'stale');

    // After a reboot every recorded command is stale, even one that was never used.
    const last = await current();
    const unused = owner.command('on', last);
    used.add(last);
    const states = p.on(topics.state).length;
    const before = l.uart.countLines(/^nyala: lamp refused /);
    l.board.reset();
    await p.waitCount(topics.state, states + 1, BOOT_MS);
    await l.uart.waitLines(/^nyala: mqtt ok$/, 2, BOOT_MS);
    const watch = watchPin(l, ON);
    const replays = [unused, ...sent];
    for (let i = 0; i < replays.length; i++) {
      await stranger.publish(topics.command, replays[i]!);
      await l.uart.waitLines(/^nyala: lamp refused /, before + i + 1, REPLY_MS);
    }
    const after = l.uart.lines().filter((x) => x.startsWith('nyala: lamp refused')).slice(before);
    expect(after).toEqual(replays.map(() => 'nyala: lamp refused stale'));
    expect(watch.moved()).toBe(false);
    expect(l.board.gpio.read(LAMP_PIN)).toBe(OFF);
    // The owner, reading the new state, switches it at once.
    await o.switchTo(l, 'on', used);
  }, 120_000);

  it('20 stale commands in a row: each is refused, and the state is said again at most once a second', async () => {
    const topics = deviceTopics(uniqueId());
    const owner = new Owner(newKey(), topics);
    const p = await phone(topics.status, topics.state, topics.reply);
    const l = await lamp(topics, { mode: 'signed', key: owner.key });
    await p.waitCount(topics.state, 1, BOOT_MS);
    // Correctly signed, for a challenge the lamp never had: stale, 20 times in a row.
    const stale = owner.command('on', 'fedcba9876543210');
    const states = p.on(topics.state).length;
    const start = Date.now();
    // One after the other as fast as the lamp takes them (sent all at once, most would wait in
    // mqtt.py's bounded queue while the lamp waits for its state's PUBACK, and the oldest go).
    for (let i = 1; i <= 20; i++) {
      await p.publish(topics.command, stale);
      await l.uart.waitLines(/^nyala: lamp refused stale$/, i, REPLY_MS);
    }
    const elapsed = Date.now() - start;
    const again = p.on(topics.state).slice(states);
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(again.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / 1000) + 1);
    // What it says again is its current state, which the owner can use at once.
    expect(owner.readState(again.at(-1)!.payload.toString())?.word).toBe('off');
    await ownerOf(p, owner).switchTo(l, 'on', new Set());
  }, 60_000);

  it('a retained "on" on the command topic does not switch a plain lamp, at boot or after a reset', async () => {
    const topics = deviceTopics(uniqueId());
    // Left on the broker by a stranger before the lamp even started.
    await rawPublish(broker.port, topics.command, 'on', { retain: true });
    const p = await phone(topics.status, topics.state, topics.reply);
    const l = await lamp(topics, { mode: 'plain' });
    await p.waitFor(topics.status, 'online', BOOT_MS);
    await l.uart.waitLines(/^nyala: lamp refused retained$/, 1, REPLY_MS);
    expect(l.board.gpio.read(LAMP_PIN)).toBe(OFF);
    // A power cut (a reset): the broker hands the retained "on" over again, the lamp stays off.
    l.board.reset();
    // (While the chip resets its pins float: watch from the new boot's first line on.)
    await l.uart.waitLines(/^nyala: config ok$/, 2, BOOT_MS);
    const watch = watchPin(l, ON);
    await l.uart.waitLines(/^nyala: lamp refused retained$/, 2, BOOT_MS);
    expect(watch.moved()).toBe(false);
    expect(l.uart.countLines(/^nyala: lamp (on|off)$/)).toBe(0);
    expect(p.on(topics.reply)).toEqual([]);
    // And a live "on" (not retained) still works: this is a plain lamp.
    await p.publish(topics.command, 'on');
    await p.waitFor(topics.reply, 'saya hidup', REPLY_MS);
    await l.board.gpio.waitFor(LAMP_PIN, ON, REPLY_MS);
    await rawPublish(broker.port, topics.command, '', { retain: true }); // clear it
  }, 60_000);

  it("a stranger connecting with the lamp's configured client id does not throw the lamp off", async () => {
    const topics = deviceTopics(uniqueId());
    const owner = new Owner(newKey(), topics);
    const clientId = `nyala-${uniqueId()}`;
    const p = await phone(topics.status, topics.state, topics.reply);
    const l = await lamp(topics, { mode: 'signed', key: owner.key }, clientId);
    await p.waitCount(topics.status, 1, BOOT_MS);
    await l.uart.waitLines(/^nyala: mqtt ok$/, 1, REPLY_MS);
    // The stranger takes the id from config.json (it was on the pairing QR, say), three times.
    for (let i = 0; i < 3; i++) {
      const s = await Phone.connect(broker.port, clientId);
      cleanups.push(() => s.end());
    }
    // Let the lamp run for two keepalives: no error, no second connection, nothing offline.
    await broker.waitPings(clientId, (broker.pings(clientId) || 0) + 2, 8 * KEEPALIVE * 1000);
    expect(l.uart.countLines(/^nyala: mqtt (ok|error)/)).toBe(1);
    expect(p.on(topics.status).map((m) => owner.readStatus(m.payload.toString())?.word)).toEqual(['online']);
    await ownerOf(p, owner).switchTo(l, 'on', new Set());
  }, 60_000);

  it('the tutorial preset, plain: "on" on sooko/lampu from any MQTT client still gets "saya hidup" on loger', async () => {
    // The tutorial's topics are shared by every tutorial lamp on the broker: one lamp at a time
    // here, and only this test uses them.
    const p = await phone(TUTORIAL_TOPICS.status, TUTORIAL_TOPICS.reply, TUTORIAL_TOPICS.state);
    const l = await lamp(TUTORIAL_TOPICS, { mode: 'plain' });
    await p.waitFor(TUTORIAL_TOPICS.status, 'online', BOOT_MS);
    await p.waitFor(TUTORIAL_TOPICS.state, 'off', REPLY_MS);
    await rawPublish(broker.port, 'sooko/lampu', 'on');
    await p.waitFor('loger', 'saya hidup', REPLY_MS);
    await l.board.gpio.waitFor(LAMP_PIN, ON, REPLY_MS);
    expect(await retained(broker.port, TUTORIAL_TOPICS.state)).toBe('on');
    await rawPublish(broker.port, 'sooko/lampu', 'off');
    await p.waitFor('loger', 'saya mati', REPLY_MS);
    await l.board.gpio.waitFor(LAMP_PIN, OFF, REPLY_MS);
  }, 60_000);
});
