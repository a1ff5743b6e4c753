// remote.ts against a real broker (aedes over WebSocket, started here on free ports) and an
// independent MQTT.js client answering as the firmware does. Lamps are signed, as new lamps are,
// unless a test says plain.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import { LampRemote, type CommandOutcome, type RemoteEvent, type RemoteOptions } from '../../../src/lamp/remote.ts';
import { defaultSettings, type LampSettings } from '../../../src/lamp/settings.ts';
import {
  BoardClient,
  TestBroker,
  brokerKinds,
  makeBroker,
  waitFor,
  withTimeout,
  type BrokerUnderTest,
} from './harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** aedes with hooks for the tests that need to hold or refuse packets. */
async function startAedes(options: ConstructorParameters<typeof TestBroker>[0] = {}): Promise<TestBroker> {
  const broker = new TestBroker(options);
  await broker.start();
  cleanups.push(() => broker.dispose());
  return broker;
}

function lampOn(broker: BrokerUnderTest, name = 'Teras'): LampSettings {
  const s = defaultSettings({ name, preset: 'custom' });
  s.broker = { ...s.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  return s;
}

function plain(settings: LampSettings): LampSettings {
  return { ...settings, auth: { mode: 'plain' } };
}

async function startFirmware(broker: BrokerUnderTest, settings: LampSettings, silent = false): Promise<BoardClient> {
  const key = settings.auth.mode === 'signed' ? settings.auth.key : undefined;
  const fw = new BoardClient({ brokerUrl: broker.tcpUrl, topics: settings.topics, replies: settings.replies, silent, key });
  await fw.start();
  cleanups.push(() => fw.stop());
  return fw;
}

function startRemote(settings: LampSettings, options: Partial<RemoteOptions> = {}): LampRemote {
  const remote = new LampRemote({ settings, commandTimeoutMs: 3_000, backoff: { initialMs: 20, maxMs: 200 }, ...options });
  cleanups.push(() => remote.stop());
  remote.start();
  return remote;
}

/** The ids aedes knows the remotes by (ours start with nyala-r-). */
function remoteClientIds(broker: TestBroker): string[] {
  return broker.clientIds().filter((id) => id.startsWith('nyala-r-'));
}

const connected = (remote: LampRemote, what = 'connected') =>
  waitFor(remote, (s) => s.connection.state === 'connected', what);

describe.each(brokerKinds())('LampRemote against %s and a board', (kind) => {
  async function startBroker(): Promise<BrokerUnderTest> {
    const broker = makeBroker(kind);
    await broker.start();
    cleanups.push(() => broker.dispose());
    return broker;
  }

  it('on → pending → "saya hidup" and on; off → "saya mati" and off', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const remote = startRemote(settings);
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'connected and lamp online');

    const events: RemoteEvent[] = [];
    remote.subscribe((e) => events.push(e));
    const on = remote.command('on');
    // Pending is visible synchronously, before any network round trip.
    expect(remote.snapshot.power).toMatchObject({ state: 'pending', want: 'on' });
    const outcome = await withTimeout(on, 5_000, 'on confirmed');
    expect(outcome).toMatchObject({ result: 'confirmed', command: 'on' });
    await waitFor(remote, (s) => s.lastReply?.text === 'saya hidup', 'reply saya hidup');
    expect(remote.snapshot.power.state).toBe('on');
    expect(remote.snapshot.lastReply).toMatchObject({ text: 'saya hidup', means: 'on' });
    expect(fw.lamp).toBe('on');
    expect(events.find((e) => e.type === 'power' && e.power.state === 'pending')).toBeDefined();
    expect(events.find((e) => e.type === 'log' && e.entry.kind === 'sent' && e.entry.payload.startsWith('on '))).toBeDefined();

    const off = await withTimeout(remote.command('off'), 5_000, 'off confirmed');
    expect(off).toMatchObject({ result: 'confirmed', command: 'off' });
    await waitFor(remote, (s) => s.lastReply?.text === 'saya mati' && s.power.state === 'off', 'reply saya mati');
    expect(fw.commands).toEqual(['on', 'off']);
    // The log has timestamps and both directions.
    const kinds = remote.snapshot.log.map((e) => e.kind);
    expect(kinds).toContain('received');
    expect(remote.snapshot.log.every((e) => typeof e.at === 'number' && e.at > 0)).toBe(true);
  });

  it('turns a command nobody answers into a no-answer outcome after the timeout', async () => {
    const broker = await startBroker();
    const settings = plain(lampOn(broker));
    const fw = await startFirmware(broker, settings, true);
    const remote = startRemote(settings, { commandTimeoutMs: 300 });
    await waitFor(remote, (s) => s.presence === 'online', 'lamp online');
    const started = Date.now();
    const outcome = await withTimeout(remote.command('on'), 5_000, 'timeout outcome');
    expect(outcome).toMatchObject({ result: 'no-answer', command: 'on', presence: 'online' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fw.commands).toEqual(['on']);
    // The switch goes back to what was last known rather than staying on pending.
    expect(remote.snapshot.power.state).toBe('unknown');
    expect(remote.snapshot.lastOutcome).toEqual(outcome);
  });

  it('knows online/offline at connect from the retained status and the last will', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const first = startRemote(settings);
    const atConnect = await connected(first);
    // The retained status may come with or right after CONNACK; it must come without any command.
    await waitFor(first, (s) => s.presence === 'online', 'online from retained status');
    expect(atConnect.connection.state).toBe('connected');

    await fw.pullThePlug();
    await waitFor(first, (s) => s.presence === 'offline', 'offline from the last will');

    // A remote opened afterwards learns "offline" from the retained last will, and the lamp's
    // last state from the retained state (a signed board publishes it at boot, for its challenge).
    const later = startRemote(settings);
    await waitFor(later, (s) => s.presence === 'offline', 'offline at connect');
    await waitFor(later, (s) => s.power.state === 'off', 'the retained state');
    expect(later.snapshot.power).toMatchObject({ state: 'off', source: 'state' });
  });

  it('shows the retained state to a remote that opens later', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    await startFirmware(broker, settings);
    const first = startRemote(settings);
    await connected(first);
    await withTimeout(first.command('on'), 5_000, 'on');
    const later = startRemote(settings);
    await waitFor(later, (s) => s.power.state === 'on', 'state on from the retained state');
    expect(later.snapshot.power).toMatchObject({ state: 'on', source: 'state' });
  });

  it('reconnects after the broker restarts, subscribes again and works', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const remote = startRemote(settings);
    await waitFor(remote, (s) => s.presence === 'online', 'online');
    expect(await withTimeout(remote.command('on'), 5_000, 'on')).toMatchObject({ result: 'confirmed' });

    await broker.stop();
    await waitFor(remote, (s) => s.connection.state === 'reconnecting', 'reconnecting');
    expect(remote.snapshot.connection).toMatchObject({ state: 'reconnecting', reason: { code: 'lost' } });
    expect(remote.snapshot.presence).toBe('unknown');
    await broker.start();
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'back and online', 10_000);

    const off = await withTimeout(remote.command('off'), 5_000, 'off after restart');
    expect(off).toMatchObject({ result: 'confirmed', command: 'off' });
    await waitFor(remote, (s) => s.lastReply?.text === 'saya mati', 'reply after restart');
    expect(fw.commands).toEqual(['on', 'off']);
  });

  it('keeps two lamps on one broker apart', async () => {
    const broker = await startBroker();
    const a = lampOn(broker, 'A');
    const b = lampOn(broker, 'B');
    expect(a.topics.command).not.toBe(b.topics.command);
    const fwA = await startFirmware(broker, a);
    const fwB = await startFirmware(broker, b);
    const remoteA = startRemote(a);
    const remoteB = startRemote(b);
    await waitFor(remoteA, (s) => s.presence === 'online', 'A online');
    await waitFor(remoteB, (s) => s.presence === 'online', 'B online');
    const bLogBefore = remoteB.snapshot.log.length;

    expect(await withTimeout(remoteA.command('on'), 5_000, 'A on')).toMatchObject({ result: 'confirmed' });
    // Then B, so everything A caused has had the chance to reach B first (one broker, in order).
    expect(await withTimeout(remoteB.command('off'), 5_000, 'B off')).toMatchObject({ result: 'confirmed' });

    expect(fwA.commands).toEqual(['on']);
    expect(fwB.commands).toEqual(['off']);
    const aTopics = Object.values(a.topics);
    const bSaw = remoteB.snapshot.log.slice(bLogBefore).filter((e) => (e.kind === 'received' || e.kind === 'sent') && aTopics.includes(e.topic));
    expect(bSaw).toEqual([]);
    expect(remoteB.snapshot.lastReply?.text).toBe('saya mati');
    expect(remoteA.snapshot.power.state).toBe('on');
    expect(remoteB.snapshot.power.state).toBe('off');
  });

  // Here and in the first aedes test the remote comes back only when told to (a long backoff, then
  // a wake), after the board is subscribed again, so a resent command would surely reach it.
  it('reports a command while the broker is down as not sent, and never delivers it later', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const remote = startRemote(settings, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await waitFor(remote, (s) => s.presence === 'online', 'online');

    await broker.stop();
    await waitFor(remote, (s) => s.connection.state === 'reconnecting', 'connection noticed down');
    const outcome = await remote.command('on');
    expect(outcome).toEqual({ result: 'not-sent', command: 'on', reason: 'not-connected' });
    expect(remote.snapshot.power.state).not.toBe('pending');

    await broker.start();
    await fw.whenReady(2);
    remote.wake('online');
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'back');
    // Anything left over would reach the board before this command, on the same connection.
    expect(await withTimeout(remote.command('off'), 5_000, 'off')).toMatchObject({ result: 'confirmed' });
    expect(fw.commands).toEqual(['off']);
  });

  it('reconnects at once when told the network is back, instead of waiting out the backoff', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    let wake: ((reason: 'online' | 'visible') => void) | null = null;
    const remote = startRemote(settings, {
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      wakeSignals: (listener) => {
        wake = listener;
        return () => (wake = null);
      },
    });
    await connected(remote);
    await broker.stop();
    await waitFor(remote, (s) => s.connection.state === 'reconnecting', 'reconnecting');
    const retryAt = (remote.snapshot.connection as { retryAt: number }).retryAt;
    expect(retryAt - Date.now()).toBeGreaterThan(30_000);
    await broker.start();
    expect(wake).not.toBeNull();
    wake!('online');
    await connected(remote, 'connected right after the wake');
    await remote.stop();
    expect(wake).toBeNull();
  });

  it('supersedes a pending command with a newer one and confirms only the newer', async () => {
    const broker = await startBroker();
    const settings = lampOn(broker);
    await startFirmware(broker, settings);
    const remote = startRemote(settings);
    await waitFor(remote, (s) => s.presence === 'online', 'online');
    const first = remote.command('on');
    const second = remote.command('off');
    const outcomes: CommandOutcome[] = await withTimeout(Promise.all([first, second]), 5_000, 'both outcomes');
    expect(outcomes[0]).toEqual({ result: 'superseded', command: 'on' });
    expect(outcomes[1]).toMatchObject({ result: 'confirmed', command: 'off' });
    await waitFor(remote, (s) => s.power.state === 'off', 'off at last');
  });
});

describe('LampRemote against aedes, whose hooks hold, drop or refuse', () => {
  it('reports a command cut off in flight as not sent, and MQTT.js does not resend it', async () => {
    // The broker holds the remote's command without acknowledging it, then dies.
    let holding = true;
    const broker = await startAedes({
      authorizePublish: (client, packet, done) => {
        if (holding && packet.payload.toString().startsWith('on ') && client?.id.startsWith('nyala-r-')) return; // never acknowledged
        done(null);
      },
    });
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const remote = startRemote(settings, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await waitFor(remote, (s) => s.presence === 'online', 'online');

    const on = remote.command('on');
    expect(remote.snapshot.power.state).toBe('pending');
    await broker.stop();
    const outcome = await withTimeout(on, 5_000, 'cut-off outcome');
    expect(outcome).toEqual({ result: 'not-sent', command: 'on', reason: 'connection-lost' });

    holding = false;
    await broker.start();
    await fw.whenReady(2);
    remote.wake('online');
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'back');
    expect(await withTimeout(remote.command('off'), 5_000, 'off')).toMatchObject({ result: 'confirmed' });
    expect(fw.commands).toEqual(['off']);
  });

  it('reports a command cut off by a network blip as not sent, and MQTT.js does not resend it', async () => {
    let holding = true;
    const broker = await startAedes({
      authorizePublish: (client, packet, done) => {
        if (holding && packet.payload.toString().startsWith('on ') && client?.id.startsWith('nyala-r-')) return;
        done(null);
      },
    });
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const remote = startRemote(settings);
    await waitFor(remote, (s) => s.presence === 'online', 'online');
    const on = remote.command('on');
    await waitFor(remote, (s) => s.log.some((e) => e.kind === 'sent'), 'sent');
    holding = false;
    for (const id of remoteClientIds(broker)) broker.dropWebSocketClient(id);
    expect(await withTimeout(on, 5_000, 'cut-off outcome')).toEqual({ result: 'not-sent', command: 'on', reason: 'connection-lost' });
    // The board stayed subscribed all along, so a resend on reconnect would reach it.
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'back');
    expect(await withTimeout(remote.command('off'), 5_000, 'off')).toMatchObject({ result: 'confirmed' });
    expect(fw.commands).toEqual(['off']);
  });

  it('(why the tests above matter) a bare MQTT.js client reconnecting by itself does resend', async () => {
    let holding = true;
    const broker = await startAedes({
      authorizePublish: (client, _packet, done) => {
        if (holding && client?.id === 'bare-remote') return;
        done(null);
      },
    });
    const settings = lampOn(broker);
    const fw = await startFirmware(broker, settings);
    const bare = connect(broker.wsUrl, { clientId: 'bare-remote', reconnectPeriod: 20 });
    cleanups.push(() => bare.endAsync(true));
    await withTimeout(new Promise((r) => bare.once('connect', r)), 5_000, 'bare connect');
    const written = new Promise<void>((r) => bare.on('packetsend', (p) => p.cmd === 'publish' && r()));
    bare.publish(settings.topics.command, 'on', { qos: 1 });
    await withTimeout(written, 5_000, 'bare publish written');
    holding = false;
    broker.dropWebSocketClient('bare-remote');
    await fw.whenCommand('on');
    expect(fw.commands).toEqual(['on']);
  });

  it('on a wake, keeps a live connection and replaces one that died silently, at once', async () => {
    const broker = await startAedes();
    const settings = lampOn(broker);
    await startFirmware(broker, settings);
    // A minute of backoff: coming back within seconds can only be the wake's doing.
    const remote = startRemote(settings, { livenessTimeoutMs: 300, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await waitFor(remote, (s) => s.presence === 'online', 'online');
    const [id] = remoteClientIds(broker);
    if (!id) throw new Error('the remote is not at the broker');

    // Alive: the ping is answered and the connection stays.
    const connectedSince = (remote.snapshot.connection as { since: number }).since;
    const ping = broker.nextPing(id);
    remote.wake('visible');
    await ping;
    // No event marks "nothing happened": wait out the liveness timeout, then look.
    await new Promise((r) => setTimeout(r, 500));
    expect(remote.snapshot.connection).toEqual({ state: 'connected', since: connectedSince });

    // Dead without a word (a phone's socket after a night in the background): found and replaced.
    broker.freezeWebSocketClient(id);
    remote.wake('visible');
    await waitFor(remote, (s) => s.connection.state !== 'connected', 'the dead connection noticed', 3_000);
    await waitFor(remote, (s) => s.connection.state === 'connected' && s.presence === 'online', 'connected again', 5_000);
    expect(await withTimeout(remote.command('on'), 5_000, 'on')).toMatchObject({ result: 'confirmed' });
  });

  it('refuses ws:// from an https page before trying, with a code', async () => {
    const broker = await startAedes();
    const settings = lampOn(broker);
    const events: RemoteEvent[] = [];
    const remote = new LampRemote({ settings, pageIsSecure: true });
    cleanups.push(() => remote.stop());
    remote.subscribe((e) => events.push(e));
    remote.start();
    expect(remote.snapshot.connection).toEqual({ state: 'failed', reason: { code: 'insecure-websocket' } });
    expect(events.filter((e) => e.type === 'connection').map((e) => (e.type === 'connection' ? e.connection.state : ''))).toEqual(['failed']);
    expect(broker.connectedClients).toBe(0);
    expect(await remote.command('on')).toEqual({ result: 'not-sent', command: 'on', reason: 'not-connected' });
  });

  it('stops retrying when the broker refuses the credentials', async () => {
    const broker = await startAedes({
      authenticate: (_client, username, password, done) => done(null, username === 'lampu' && password?.toString() === 'benar'),
    });
    const settings = lampOn(broker);
    settings.broker.user = 'lampu';
    settings.broker.password = 'salah';
    const remote = startRemote(settings);
    const s = await waitFor(remote, (x) => x.connection.state === 'failed', 'failed');
    expect(s.connection).toEqual({ state: 'failed', reason: { code: 'not-authorized', returnCode: 5 } });

    settings.broker.password = 'benar';
    const good = startRemote(settings);
    await connected(good);
  });
});
