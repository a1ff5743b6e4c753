// The whole chain with no stand-in for the board: settings.ts makes the config.json, the real
// firmware (firmware/*.py on MicroPython on the virtual board) reads it and joins the broker over
// TCP, and remote.ts switches it over WebSocket. The signed lamp (docs/contracts.md, "The signed
// lamp protocol") with a stranger on the broker, against aedes and Mosquitto.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import { LampRemote, type RemoteSnapshot } from '../../../src/lamp/remote.ts';
import { defaultSettings, newLampKey, toConfigJson, validateSettings, type LampSettings } from '../../../src/lamp/settings.ts';
import { lampMac, signPayload } from '../../../src/lamp/signing.ts';
import { HOME_AP, startLamp, type Lamp } from '../firmware/harness.ts';
import { TestBroker, brokerKinds, makeBroker, nonce, waitFor, withTimeout, type BrokerUnderTest } from './harness.ts';

const BOOT_MS = 30_000;
const REPLY_MS = 10_000;
const LAMP_PIN = 2;
const ON = 0; // active low
const OFF = 1;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 20_000);

function lampSettings(broker: BrokerUnderTest): LampSettings & { auth: { mode: 'signed'; key: string } } {
  const settings = defaultSettings({ chip: 'esp8266', name: 'Teras', preset: 'custom' });
  settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl, keepalive: 5 };
  settings.wifi = { ssid: HOME_AP.ssid, password: HOME_AP.password };
  return { ...settings, auth: { mode: 'signed', key: newLampKey() } };
}

async function boot(settings: LampSettings): Promise<Lamp> {
  expect(validateSettings(settings, { purpose: 'board' })).toEqual([]);
  const lamp = await startLamp({ chip: 'esp8266', config: toConfigJson(settings) });
  cleanups.push(() => lamp.close());
  return lamp;
}

function remoteFor(settings: LampSettings): LampRemote {
  const remote = new LampRemote({ settings, commandTimeoutMs: REPLY_MS });
  cleanups.push(() => remote.stop());
  remote.start();
  return remote;
}

/** Someone else on the broker with its own MQTT.js client: reads every topic, keeps what it saw. */
async function stranger(broker: BrokerUnderTest, settings: LampSettings): Promise<{ client: MqttClient; seen: Map<string, string[]> }> {
  const client = connect(broker.tcpUrl, { clientId: `stranger-${nonce()}`, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  await withTimeout(new Promise((r) => client.once('connect', r)), 5_000, 'stranger connect');
  const seen = new Map<string, string[]>();
  client.on('message', (topic, payload) => seen.set(topic, [...(seen.get(topic) ?? []), payload.toString()]));
  const { topics } = settings;
  await client.subscribeAsync([topics.command, topics.state, topics.reply, topics.status], { qos: 1 });
  return { client, seen };
}

/** Whether the pin ever reaches `level` from now on (until the test ends). */
function watchPin(lamp: Lamp, level: 0 | 1): { moved: () => boolean } {
  let moved = false;
  lamp.board.gpio.waitFor(LAMP_PIN, level, 60_000).then(
    () => (moved = true),
    () => undefined,
  );
  return { moved: () => moved };
}

const switches = (lamp: Lamp) => lamp.uart.countLines(/^nyala: lamp (on|off)$/);
const refusals = (lamp: Lamp) => lamp.uart.countLines(/^nyala: lamp refused /);

describe('remote.ts and the real firmware', () => {
  it('config.json from the settings boots the lamp; on/off over WebSocket drive GPIO2 and come back as replies', async () => {
    const broker = new TestBroker();
    await broker.start();
    cleanups.push(() => broker.stop());

    const settings = lampSettings(broker);
    const lamp = await boot(settings);
    const remote = remoteFor(settings);

    // Online and the lamp's state, both from retained messages, before any command.
    await waitFor(remote, (s) => s.presence === 'online' && s.power.state === 'off', 'the lamp online and off', BOOT_MS);

    const on = await withTimeout(remote.command('on'), 15_000, 'on');
    expect(on).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    await lamp.board.gpio.waitFor(LAMP_PIN, ON, 5_000);
    await waitFor(remote, (s) => s.lastReply?.text === 'saya hidup', 'saya hidup');

    const off = await withTimeout(remote.command('off'), 15_000, 'off');
    expect(off).toMatchObject({ result: 'confirmed', command: 'off' });
    await lamp.board.gpio.waitFor(LAMP_PIN, OFF, 5_000);
    await waitFor(remote, (s) => s.lastReply?.text === 'saya mati' && s.power.state === 'off', 'saya mati');
    expect(remote.snapshot.ignored).toBe(0);
  }, 90_000);
});

describe.each(brokerKinds())('remote.ts, the real firmware and a stranger on %s', (kind) => {
  async function startBroker(): Promise<BrokerUnderTest> {
    const broker = makeBroker(kind);
    await broker.start();
    cleanups.push(() => broker.dispose());
    return broker;
  }

  it("a stranger's commands never move the GPIO nor show as confirmed; the owner's remote switches it right after each", async () => {
    const broker = await startBroker();
    const settings = lampSettings(broker);
    const { topics } = settings;
    const lamp = await boot(settings);
    const remote = remoteFor(settings);
    const evil = await stranger(broker, settings);
    await waitFor(remote, (s) => s.presence === 'online' && s.power.state === 'off', 'the lamp online and off', BOOT_MS);

    const owner = async (want: 'on' | 'off') => {
      expect(await withTimeout(remote.command(want), REPLY_MS + 5_000, `owner ${want}`), `owner ${want}`).toMatchObject({
        result: 'confirmed',
        command: want,
        by: 'reply',
      });
      await lamp.board.gpio.waitFor(LAMP_PIN, want === 'on' ? ON : OFF, 5_000);
    };
    // The stranger reads the current challenge off the retained state: it is no secret.
    const challenge = () => evil.seen.get(topics.state)!.at(-1)!.split(' ')[0]!;
    const power = (s: RemoteSnapshot) => s.power.state;

    async function attempt(what: string, payload: (want: 'on' | 'off') => string, reason: string): Promise<void> {
      const now = lamp.board.gpio.read(LAMP_PIN) === ON ? 'on' : 'off';
      const want = now === 'on' ? 'off' : 'on'; // the stranger wants it the other way
      const watch = watchPin(lamp, want === 'on' ? ON : OFF);
      const before = { switches: switches(lamp), refusals: refusals(lamp), snapshot: remote.snapshot };
      await evil.client.publishAsync(topics.command, payload(want), { qos: 1 });
      const lines = await lamp.uart.waitLines(/^nyala: lamp refused /, before.refusals + 1, REPLY_MS);
      expect(lines.at(-1)!.line, what).toBe(`nyala: lamp refused ${reason}`);
      expect(watch.moved(), what).toBe(false);
      expect(switches(lamp), what).toBe(before.switches);
      // The remote shows nothing new: no reply, no outcome, the same lamp.
      expect(power(remote.snapshot), what).toBe(now);
      expect(remote.snapshot.lastOutcome, what).toBe(before.snapshot.lastOutcome);
      expect(remote.snapshot.lastReply, what).toBe(before.snapshot.lastReply);
      // And the owner switches it at once.
      await owner(want);
    }

    await owner('on');
    await owner('off');
    const otherKey = newLampKey();
    await attempt('the tutorial\'s plain command', (want) => want, 'malformed');
    await attempt('a made-up MAC over the current challenge', (want) => `${want} ${challenge()} ${'ab'.repeat(32)}`, 'bad-mac');
    await attempt("signed with another lamp's key", (want) => signPayload(otherKey, 'cmd', topics.command, `${want} ${challenge()}`), 'bad-mac');
    // The owner's commands as the stranger recorded them (its own attempts are on the topic too).
    const recorded = (want: 'on' | 'off') =>
      evil.seen
        .get(topics.command)!
        .filter((p) => p.startsWith(`${want} `))
        .filter((p) => signPayload(settings.auth.key, 'cmd', topics.command, p.split(' ').slice(0, 2).join(' ')) === p);
    expect(recorded('on').length).toBeGreaterThan(0);
    expect(recorded('off').length).toBeGreaterThan(0);
    await attempt('a recorded command replayed after the lamp switched', (want) => recorded(want).at(-1)!, 'stale');

    // Forged answers: a stranger's "saya hidup", state and status are not believed.
    const ignoredBefore = remote.snapshot.ignored;
    const seen = remote.snapshot;
    evil.client.publish(topics.reply, 'saya hidup', { qos: 1 });
    evil.client.publish(topics.reply, signPayload(otherKey, 'reply', topics.reply, `saya hidup ${challenge()}`), { qos: 1 });
    evil.client.publish(topics.state, 'on', { qos: 1 });
    evil.client.publish(topics.state, `${nonce()} ${lampMac(otherKey, 'state', topics.state, `on ${challenge()}`)}`, { qos: 1 });
    evil.client.publish(topics.status, 'offline', { qos: 1 });
    await waitFor(remote, (s) => s.ignored >= ignoredBefore + 5, 'the forgeries ignored');
    expect(remote.snapshot.presence).toBe('online');
    expect(power(remote.snapshot)).toBe(power(seen));
    expect(remote.snapshot.lastReply).toBe(seen.lastReply);

    // After a reboot every recorded command is stale.
    await owner(lamp.board.gpio.read(LAMP_PIN) === ON ? 'off' : 'on');
    await owner('on');
    lamp.board.reset();
    // (While the chip resets its pins float: watch from the new boot's first line on.)
    await lamp.uart.waitLines(/^nyala: config ok$/, 2, BOOT_MS);
    const afterBoot = watchPin(lamp, ON);
    await lamp.uart.waitLines(/^nyala: mqtt ok$/, 2, BOOT_MS);
    await waitFor(remote, (s) => s.presence === 'online' && s.power.state === 'off', 'the rebooted lamp online and off', BOOT_MS);
    const refusedBefore = refusals(lamp);
    const switchesBefore = switches(lamp);
    await evil.client.publishAsync(topics.command, recorded('on').at(-1)!, { qos: 1 });
    const lines = await lamp.uart.waitLines(/^nyala: lamp refused /, refusedBefore + 1, REPLY_MS);
    expect(lines.at(-1)!.line).toBe('nyala: lamp refused stale');
    expect(afterBoot.moved()).toBe(false);
    expect(switches(lamp)).toBe(switchesBefore);
    expect(power(remote.snapshot)).toBe('off');
    await owner('on');

    // The stranger overwrites the retained state: a phone opened now finds no challenge, asks the
    // lamp to say its state again (a command it refuses as stale), and then switches it.
    await evil.client.publishAsync(topics.state, 'off', { qos: 1, retain: true });
    const later = remoteFor(settings);
    await waitFor(later, (s) => s.presence === 'online' && s.ignored === 1, 'a later phone, the junk state ignored', BOOT_MS);
    expect(later.snapshot.power).toEqual({ state: 'unknown' });
    const refusedNow = refusals(lamp);
    expect(await withTimeout(later.command('off'), REPLY_MS + 5_000, 'later off')).toMatchObject({ result: 'confirmed', command: 'off' });
    await lamp.board.gpio.waitFor(LAMP_PIN, OFF, 5_000);
    expect(lamp.uart.lines().filter((l) => l.startsWith('nyala: lamp refused ')).slice(refusedNow)).toEqual(['nyala: lamp refused stale']);
  }, 180_000);

  it('two phones with the same key switch the lamp alternately 50 times: every command applied once, none refused', async () => {
    const broker = await startBroker();
    const settings = lampSettings(broker);
    const lamp = await boot(settings);
    const phones = [remoteFor(settings), remoteFor(settings)] as const;
    for (const phone of phones) await waitFor(phone, (s) => s.presence === 'online' && s.power.state === 'off', 'a phone ready', BOOT_MS);

    for (let i = 0; i < 50; i++) {
      const want = i % 2 === 0 ? 'on' : 'off';
      const outcome = await withTimeout(phones[i % 2]!.command(want), REPLY_MS + 5_000, `command ${i}`);
      expect(outcome, `command ${i}`).toMatchObject({ result: 'confirmed', command: want, by: 'reply' });
      await lamp.board.gpio.waitFor(LAMP_PIN, want === 'on' ? ON : OFF, 5_000);
      // The other phone sees the lamp change before its turn, as the person holding it would.
      await waitFor(phones[(i + 1) % 2]!, (s) => s.power.state === want, `the other phone to see ${want}`);
    }
    expect(switches(lamp)).toBe(50);
    expect(refusals(lamp)).toBe(0);
  }, 180_000);
});
