// remote.ts and a signed lamp (docs/contracts.md, "The signed lamp protocol") on a broker where a
// stranger reads and publishes anything: the board is the harness's contract-following responder,
// the stranger its own MQTT.js client without the key. Against aedes and Mosquitto.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from 'mqtt';
import { LampRemote, MAX_PAYLOAD_BYTES, SIGNED_PROBE_AFTER_MS, type LogEntry, type RemoteOptions } from '../../../src/lamp/remote.ts';
import { defaultSettings, newLampKey, type LampSettings } from '../../../src/lamp/settings.ts';
import { lampMac, signPayload } from '../../../src/lamp/signing.ts';
import { BoardClient, brokerKinds, makeBroker, nonce, waitFor, withTimeout, type BrokerUnderTest } from './harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function signedLamp(broker: BrokerUnderTest): LampSettings & { auth: { mode: 'signed'; key: string } } {
  const s = defaultSettings({ name: 'Teras', preset: 'custom' });
  s.broker = { ...s.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  return { ...s, auth: { mode: 'signed', key: newLampKey() } };
}

async function startBoard(broker: BrokerUnderTest, s: LampSettings, options: { silent?: boolean } = {}): Promise<BoardClient> {
  const key = s.auth.mode === 'signed' ? s.auth.key : undefined;
  const fw = new BoardClient({ brokerUrl: broker.tcpUrl, topics: s.topics, replies: s.replies, key, ...options });
  await fw.start();
  cleanups.push(() => fw.stop());
  return fw;
}

function startRemote(settings: LampSettings, options: Partial<RemoteOptions> = {}): LampRemote {
  const remote = new LampRemote({ settings, commandTimeoutMs: 5_000, backoff: { initialMs: 20, maxMs: 200 }, ...options });
  cleanups.push(() => remote.stop());
  remote.start();
  return remote;
}

/** Someone else on the broker: no key, any client id, reads and publishes whatever it likes. */
async function stranger(broker: BrokerUnderTest): Promise<MqttClient> {
  const client = connect(broker.tcpUrl, { clientId: `stranger-${nonce()}`, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  await withTimeout(new Promise((r) => client.once('connect', r)), 5_000, 'stranger connect');
  return client;
}

const ready = (remote: LampRemote) =>
  waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online' && s.power.state !== 'unknown', 'remote ready');

const ignoredReasons = (log: readonly LogEntry[]) => log.flatMap((e) => (e.kind === 'ignored' ? [e.reason] : []));

describe.each(brokerKinds())('a signed lamp on %s with a stranger on the broker', (kind) => {
  async function startBroker(): Promise<BrokerUnderTest> {
    const broker = makeBroker(kind);
    await broker.start();
    cleanups.push(() => broker.dispose());
    return broker;
  }

  it('believes no forged reply, state or status: a pending command is never falsely confirmed', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    // A board that hangs after boot: whatever confirms the command can only be the stranger.
    const fw = await startBoard(broker, s, { silent: true });
    const remote = startRemote(s, { commandTimeoutMs: 1_500 });
    await ready(remote);
    expect(remote.snapshot.power).toMatchObject({ state: 'off', source: 'state' });

    const evil = await stranger(broker);
    const otherKey = newLampKey();
    const outcome = remote.command('on');
    await fw.whenCommands(1);
    // The stranger read the command, so it knows the challenge it carried.
    const sent = remote.snapshot.log.find((e) => e.kind === 'sent');
    const ch = sent?.kind === 'sent' ? sent.payload.split(' ')[1]! : '';
    expect(ch).toMatch(/^[0-9a-f]{16}$/);
    const { topics } = s;
    const forgeries: [string, string][] = [
      [topics.reply, 'saya hidup'], // the tutorial's reply
      [topics.reply, `saya hidup ${ch}`], // the right shape, no MAC
      [topics.reply, `saya hidup ${ch} ${'0'.repeat(64)}`], // a made-up MAC
      [topics.reply, signPayload(otherKey, 'reply', topics.reply, `saya hidup ${ch}`)], // another lamp's key
      [topics.reply, signPayload(s.auth.key, 'reply', topics.state, `saya hidup ${ch}`)], // our key, wrong topic
      [topics.reply, signPayload(s.auth.key, 'state', topics.reply, `saya hidup ${ch}`)], // our key, wrong kind
      [topics.state, 'on'],
      [topics.state, `${nonce()} ${lampMac(otherKey, 'state', topics.state, `on ${ch}`)}`],
      [topics.status, 'online'],
      [topics.status, signPayload(otherKey, 'status', topics.status, `offline ${nonce()}`)],
    ];
    for (const [topic, payload] of forgeries) evil.publish(topic, payload, { qos: 1 });
    await waitFor(remote, (x) => x.ignored >= forgeries.length, 'every forgery ignored');

    expect(await withTimeout(outcome, 5_000, 'outcome')).toMatchObject({ result: 'no-answer', command: 'on', presence: 'online' });
    expect(remote.snapshot.power).toMatchObject({ state: 'off' });
    expect(remote.snapshot.lastReply).toBeNull();
    expect(remote.snapshot.ignored).toBe(forgeries.length);
    expect(ignoredReasons(remote.snapshot.log).sort()).toEqual(
      ['bad-mac', 'bad-mac', 'bad-mac', 'bad-mac', 'bad-mac', 'bad-mac', 'malformed', 'malformed', 'malformed', 'malformed'].sort(),
    );
    expect(fw.applied).toEqual([]);
  });

  it('ignores replays of the lamp\'s own old state and of an online whose session ended', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const remote = startRemote(s);
    await ready(remote);
    const oldState = fw.published.filter((p) => p.topic === s.topics.state).at(-1)!.payload; // off, challenge X
    const oldOnline = fw.published.find((p) => p.topic === s.topics.status)!.payload;

    expect(await withTimeout(remote.command('on'), 5_000, 'on')).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    await waitFor(remote, (x) => x.power.state === 'on' && x.log.filter((e) => e.kind === 'received' && e.topic === s.topics.state).length >= 2, 'the new state');
    const evil = await stranger(broker);
    // Retained too: a stranger may leave the old "off" for every remote that connects later.
    evil.publish(s.topics.state, oldState, { qos: 1, retain: true });
    await waitFor(remote, (x) => x.ignored >= 1, 'the replayed state ignored');
    expect(ignoredReasons(remote.snapshot.log)).toEqual(['replay']);
    expect(remote.snapshot.power).toMatchObject({ state: 'on' });
    // The next command still works: the remote kept the lamp's current challenge.
    expect(await withTimeout(remote.command('off'), 5_000, 'off')).toMatchObject({ result: 'confirmed', command: 'off' });
    expect(fw.refused).toEqual([]);

    await fw.pullThePlug();
    await waitFor(remote, (x) => x.presence === 'offline', 'offline from the last will');
    evil.publish(s.topics.status, oldOnline, { qos: 1 });
    await waitFor(remote, (x) => x.ignored >= 2, 'the replayed online ignored');
    expect(ignoredReasons(remote.snapshot.log)).toEqual(['replay', 'replay']);
    expect(remote.snapshot.presence).toBe('offline');
    await fw.start();
    await waitFor(remote, (x) => x.presence === 'online', 'online again with a new session');
    expect(await withTimeout(remote.command('on'), 5_000, 'on after the reboot')).toMatchObject({ result: 'confirmed', command: 'on' });
  });

  it('a recorded command replayed after the lamp switched, or after it rebooted, does nothing', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const evil = await stranger(broker);
    const recorded: string[] = [];
    evil.on('message', (_t, p) => recorded.push(p.toString()));
    await evil.subscribeAsync(s.topics.command, { qos: 1 });
    const remote = startRemote(s);
    await ready(remote);

    expect(await withTimeout(remote.command('on'), 5_000, 'on')).toMatchObject({ result: 'confirmed' });
    expect(await withTimeout(remote.command('off'), 5_000, 'off')).toMatchObject({ result: 'confirmed' });
    await withTimeout(
      (async () => {
        while (recorded.length < 2) await new Promise((r) => evil.once('message', r));
      })(),
      5_000,
      'the stranger to record both commands',
    );
    const recordedOn = recorded[0]!;
    expect(recordedOn.startsWith('on ')).toBe(true);

    evil.publish(s.topics.command, recordedOn, { qos: 1 });
    await fw.whenCommands(3);
    expect(fw.refused).toEqual(['stale']);
    await fw.reboot();
    evil.publish(s.topics.command, recordedOn, { qos: 1 });
    await fw.whenCommands(4);
    expect(fw.refused).toEqual(['stale', 'stale']);
    expect(fw.applied).toEqual(['on', 'off']);
    expect(fw.lamp).toBe('off');
    await waitFor(remote, (x) => x.presence === 'online', 'online after the reboot');
    expect(remote.snapshot.power).toMatchObject({ state: 'off' });
    // The owner still switches it at once.
    expect(await withTimeout(remote.command('on'), 5_000, 'owner on')).toMatchObject({ result: 'confirmed', command: 'on' });
    expect(fw.applied).toEqual(['on', 'off', 'on']);
  });

  it('two phones with the same key switch one lamp alternately 50 times: each command applied and confirmed once', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const phones = [startRemote(s), startRemote(s)] as const;
    await Promise.all(phones.map(ready));
    for (let i = 0; i < 50; i++) {
      const want = i % 2 === 0 ? 'on' : 'off';
      const phone = phones[i % 2]!;
      const other = phones[(i + 1) % 2]!;
      const outcome = await withTimeout(phone.command(want), 5_000, `command ${i}`);
      expect(outcome, `command ${i}`).toMatchObject({ result: 'confirmed', command: want, by: 'reply' });
      // The other phone sees the lamp change before it is its turn, as a person would.
      await waitFor(other, (x) => x.power.state === want, `the other phone to see ${want}`);
    }
    expect(fw.applied).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'on' : 'off')));
    expect(fw.refused).toEqual([]);
    expect(fw.commands).toHaveLength(50);
  });

  it('two phones at the same moment: one wins the challenge, the other retries with the newer one', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const [a, b] = [startRemote(s), startRemote(s)];
    await Promise.all([ready(a), ready(b)]);
    // Both sign with the same current challenge; the board takes the first and refuses the other
    // as stale. The loser sees a reply for its challenge that says the other thing, then the newer
    // state, and sends again with it.
    const [ra, rb] = await withTimeout(Promise.all([a.command('on'), b.command('off')]), 5_000, 'both');
    expect(ra).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    expect(rb).toMatchObject({ result: 'confirmed', command: 'off', by: 'reply' });
    expect([...fw.applied].sort()).toEqual(['off', 'on']);
    expect(fw.refused).toEqual(['stale']);
    expect(fw.commands).toHaveLength(3);
    // Whoever went last is what the lamp is, and both phones show it.
    const last = fw.applied[1]!;
    expect(fw.lamp).toBe(last);
    await waitFor(a, (x) => x.power.state === last, 'a shows the lamp');
    await waitFor(b, (x) => x.power.state === last, 'b shows the lamp');
  });

  it('two phones asking the same at the same moment are both answered by the one switch', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const [a, b] = [startRemote(s), startRemote(s)];
    await Promise.all([ready(a), ready(b)]);
    const [ra, rb] = await withTimeout(Promise.all([a.command('on'), b.command('on')]), 5_000, 'both');
    // The reply names the challenge both commands carried, and says what both asked for.
    expect(ra).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    expect(rb).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    expect(fw.applied).toEqual(['on']);
    await fw.whenCommands(2);
    expect(fw.refused).toEqual(['stale']);
  });

  it('a command before the lamp has said its state waits for the challenge, then goes', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const remote = startRemote(s);
    await waitFor(remote, (x) => x.connection.state === 'connected', 'connected');
    const outcome = remote.command('on');
    expect(remote.snapshot.power).toMatchObject({ state: 'pending', want: 'on' });
    expect(remote.snapshot.log.some((e) => e.kind === 'sent')).toBe(false);
    const fw = await startBoard(broker, s);
    expect(await withTimeout(outcome, 5_000, 'on')).toMatchObject({ result: 'confirmed', command: 'on' });
    expect(fw.applied).toEqual(['on']);
    // (On a slow machine the remote may have asked for the state first: refused, as it should be.)
    expect(fw.refused.filter((r) => r !== 'stale')).toEqual([]);
  });

  it('finds the retained state overwritten by a stranger: asks the lamp to say it again, then the command goes', async () => {
    const broker = await startBroker();
    const s = signedLamp(broker);
    const fw = await startBoard(broker, s);
    const evil = await stranger(broker);
    // Anyone can replace a retained message on a public broker.
    await evil.publishAsync(s.topics.state, 'on', { qos: 1, retain: true });
    const remote = startRemote(s);
    await waitFor(remote, (x) => x.connection.state === 'connected' && x.presence === 'online' && x.ignored === 1, 'connected, junk ignored');
    expect(remote.snapshot.power).toEqual({ state: 'unknown' });

    const outcome = await withTimeout(remote.command('on'), 5_000, 'on');
    expect(outcome).toMatchObject({ result: 'confirmed', command: 'on', by: 'reply' });
    expect(outcome.result === 'confirmed' && outcome.ms).toBeGreaterThanOrEqual(SIGNED_PROBE_AFTER_MS - 50);
    // The ask was a signed command over a challenge the lamp never gave: refused, nothing switched.
    expect(fw.refused).toEqual(['stale']);
    expect(fw.applied).toEqual(['on']);
    expect(remote.snapshot.log.filter((e) => e.kind === 'sent')).toHaveLength(2);
  });
});

describe.each(brokerKinds())('what the remote keeps, on %s, whatever is sent', (kind) => {
  async function startBroker(): Promise<BrokerUnderTest> {
    const broker = makeBroker(kind);
    await broker.start();
    cleanups.push(() => broker.dispose());
    return broker;
  }

  it.each(['signed', 'plain'] as const)('%s: drops payloads over 256 bytes unread, counts them, and keeps a bounded log', async (mode) => {
    const broker = await startBroker();
    const signed = signedLamp(broker);
    const s: LampSettings = mode === 'signed' ? signed : { ...signed, auth: { mode: 'plain' } };
    await startBoard(broker, s);
    const remote = startRemote(s, { logLimit: 20 });
    await waitFor(remote, (x) => x.connection.state === 'connected' && x.presence === 'online', 'remote ready');
    const evil = await stranger(broker);

    evil.publish(s.topics.state, 'x'.repeat(MAX_PAYLOAD_BYTES + 1), { qos: 1 });
    evil.publish(s.topics.reply, Buffer.alloc(64 * 1024, 0x61), { qos: 1 });
    evil.publish(s.topics.status, 'y'.repeat(MAX_PAYLOAD_BYTES), { qos: 1 }); // at the limit: read
    await waitFor(remote, (x) => x.ignored >= 2 && x.log.filter((e) => (e.kind === 'received' || e.kind === 'ignored') && e.topic === s.topics.status).length >= 2, 'the three handled');
    const tooBig = remote.snapshot.log.filter((e) => e.kind === 'ignored' && e.reason === 'too-big');
    expect(tooBig).toEqual([
      expect.objectContaining({ kind: 'ignored', topic: s.topics.state, reason: 'too-big', bytes: MAX_PAYLOAD_BYTES + 1 }),
      expect.objectContaining({ kind: 'ignored', topic: s.topics.reply, reason: 'too-big', bytes: 64 * 1024 }),
    ]);
    expect(remote.snapshot.presence).toBe('online');

    for (let i = 0; i < 100; i++) evil.publish(s.topics.reply, `${'z'.repeat(200)} ${i}`, { qos: 0 });
    const flooded = (x: typeof remote.snapshot) => (mode === 'signed' ? x.ignored >= 103 : x.lastReply?.text.endsWith(' 99') === true);
    await waitFor(remote, flooded, 'the flood', 10_000);
    const { log } = remote.snapshot;
    expect(log.length).toBeLessThanOrEqual(20);
    for (const e of log) if (e.kind === 'received' || e.kind === 'sent') expect(e.payload.length).toBeLessThanOrEqual(256);
    if (mode === 'signed') expect(remote.snapshot.ignored).toBe(2 + 1 + 100); // the status at the limit has no MAC either
    else expect(remote.snapshot.ignored).toBe(2);
    // The key is never in what the remote shows.
    expect(JSON.stringify(remote.snapshot)).not.toContain(signed.auth.key);
    // And the lamp still answers.
    expect(await withTimeout(remote.command('on'), 5_000, 'on')).toMatchObject({ result: 'confirmed', command: 'on' });
    expect(JSON.stringify(remote.snapshot)).not.toContain(signed.auth.key);
  });
});
