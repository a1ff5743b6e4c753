// The remote's figures (docs/contracts.md, "Benchmarks"):
// - round trip from `on` published to `saya hidup` received, through a local broker over
//   WebSocket, with remote.ts and with two bare MQTT.js clients, interleaved toggle by toggle so
//   both see the same machine load; the overhead is ours − bare;
// - the same for a signed lamp (docs/contracts.md, "The signed lamp protocol"): remote.ts signs
//   with the current challenge and checks the MACs of the state and the reply; its responder
//   checks the command's MAC and challenge and signs its state and reply, state first, as the
//   firmware does; the overhead is over the same bare pair (plain), so it includes the signing on
//   both sides and the state going before the reply;
// (remote.js.gzip, what a phone downloads in its first five seconds, is remote.js.bench.ts.)
import { connect, type MqttClient } from 'mqtt';
import { LampRemote } from '../../src/lamp/remote.ts';
import { defaultSettings, type LampSettings } from '../../src/lamp/settings.ts';
import { BoardClient, TestBroker, waitFor, withTimeout } from '../unit/lamp/harness.ts';
import type { BenchResults } from './types.ts';

const TOGGLES = 200;
const WARMUP = 20;

export default async function (): Promise<BenchResults> {
  const rt = await roundTrips();
  return {
    'remote.roundtrip.signed.p50': { value: rt.signed.p50, unit: 'ms', note: `remote.ts, signed lamp, ${TOGGLES} toggles over ws` },
    'remote.roundtrip.signed.p95': { value: rt.signed.p95, unit: 'ms', note: `remote.ts, signed lamp, ${TOGGLES} toggles over ws` },
    'remote.roundtrip.signed.overhead.p95': {
      value: rt.signed.p95 - rt.bare.p95,
      unit: 'ms',
      note: 'signed − bare (plain), signing included; goal ≤ 1 ms',
    },
    'remote.roundtrip.p50': { value: rt.ours.p50, unit: 'ms', note: `remote.ts, ${TOGGLES} toggles over ws` },
    'remote.roundtrip.p95': { value: rt.ours.p95, unit: 'ms', note: `remote.ts, ${TOGGLES} toggles over ws` },
    'remote.roundtrip.bare.p50': { value: rt.bare.p50, unit: 'ms', note: 'two bare MQTT.js clients, same run' },
    'remote.roundtrip.bare.p95': { value: rt.bare.p95, unit: 'ms', note: 'two bare MQTT.js clients, same run' },
    'remote.roundtrip.overhead.p95': { value: rt.ours.p95 - rt.bare.p95, unit: 'ms', note: 'ours − bare; goal ≤ 1 ms' },
  };
}

// ---------------------------------------------------------------------------------------------

interface Percentiles {
  p50: number;
  p95: number;
}

async function roundTrips(): Promise<{ ours: Percentiles; signed: Percentiles; bare: Percentiles }> {
  const broker = new TestBroker();
  await broker.start();
  const cleanups: (() => Promise<void>)[] = [() => broker.stop()];
  try {
    // One plain lamp for remote.ts, one signed, and one plain for the bare pair, each with its own
    // board-like responder on the same broker, so the paths differ only in the protocol and the
    // remote's side.
    const lamp = (): LampSettings => {
      const s = defaultSettings({ preset: 'custom' });
      s.broker = { ...s.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
      return s;
    };
    const oursLamp: LampSettings = { ...lamp(), auth: { mode: 'plain' } };
    const signedLamp = lamp();
    const bareLamp: LampSettings = { ...lamp(), auth: { mode: 'plain' } };
    for (const s of [oursLamp, signedLamp, bareLamp]) {
      // The responder talks WebSocket too: the round trip is "through a local broker over WebSocket".
      const key = s.auth.mode === 'signed' ? s.auth.key : undefined;
      const fw = new BoardClient({ brokerUrl: broker.wsUrl, topics: s.topics, replies: s.replies, key });
      await fw.start();
      cleanups.push(() => fw.stop());
    }

    const startRemote = async (settings: LampSettings): Promise<LampRemote> => {
      const r = new LampRemote({ settings, commandTimeoutMs: 5_000 });
      cleanups.push(() => r.stop());
      r.start();
      await waitFor(r, (s) => s.connection.state === 'connected' && s.presence === 'online', 'remote online');
      return r;
    };
    const remote = await startRemote(oursLamp);
    const signedRemote = await startRemote(signedLamp);
    await waitFor(signedRemote, (s) => s.power.state !== 'unknown', 'the signed lamp\'s first state');

    const bare = connect(broker.wsUrl, { clientId: 'bench-bare', reconnectPeriod: 0 });
    cleanups.push(() => bare.endAsync(true));
    await withTimeout(new Promise((r) => bare.once('connect', r)), 5_000, 'bare connect');
    await bare.subscribeAsync([bareLamp.topics.reply, bareLamp.topics.state], { qos: 1 });

    const ours: number[] = [];
    const signed: number[] = [];
    const bareTimes: number[] = [];
    for (let i = 0; i < WARMUP + TOGGLES; i++) {
      const command = i % 2 === 0 ? 'on' : 'off';
      const a = await oursOnce(remote, command, oursLamp.replies[command]);
      const s = await oursOnce(signedRemote, command, signedLamp.replies[command]);
      const b = await bareOnce(bare, bareLamp, command);
      if (i >= WARMUP) {
        ours.push(a);
        signed.push(s);
        bareTimes.push(b);
      }
    }
    return { ours: percentiles(ours), signed: percentiles(signed), bare: percentiles(bareTimes) };
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

/** remote.command → the remote's `reply` event with the board's text. */
function oursOnce(remote: LampRemote, command: 'on' | 'off', text: string): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      const off = remote.subscribe((e) => {
        if (e.type === 'reply' && e.reply.text === text) {
          off();
          resolve(performance.now() - start);
        }
      });
      void remote.command(command).then((o) => {
        if (o.result !== 'confirmed') reject(new Error(`command ${command}: ${o.result}`));
      });
    }),
    5_000,
    `remote ${command}`,
  );
}

/** publish on the command topic → the reply message, with nothing in between but MQTT.js. */
function bareOnce(client: MqttClient, lamp: LampSettings, command: 'on' | 'off'): Promise<number> {
  const text = lamp.replies[command];
  return withTimeout(
    new Promise<number>((resolve) => {
      const start = performance.now();
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic === lamp.topics.reply && payload.toString() === text) {
          client.off('message', onMessage);
          resolve(performance.now() - start);
        }
      };
      client.on('message', onMessage);
      client.publish(lamp.topics.command, command, { qos: 1 });
    }),
    5_000,
    `bare ${command}`,
  );
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

// ---------------------------------------------------------------------------------------------
