// The round trip through the real firmware: src/lamp/remote.ts (the phone's client, so it follows
// whatever the settings say: signed or not) switches the lamp over MQTT-over-WebSocket on the
// tests' local broker (aedes), and firmware/*.py on real MicroPython on a virtual ESP8266 (TCP to the same broker)
// switches GPIO2 and answers. value = p95 of the ms from command() to the board's confirmation.
// The board runs at the firmware tests' timeScale (modelled delays such as Wi-Fi association and
// the UART's pace are shortened; the interpreter, sockets and broker run at their own speed).
import { LampRemote, type CommandOutcome } from '../../src/lamp/remote.ts';
import { defaultSettings, toConfigJson, validateSettings } from '../../src/lamp/settings.ts';
import { HOME_AP, startLamp } from '../unit/firmware/harness.ts';
import { TestBroker, waitFor } from '../unit/lamp/harness.ts';
import type { BenchResults } from './types.ts';

const COMMANDS = 40;
/** Between commands, as a person taps: more than the firmware's 250 ms gap between switches. */
const PAUSE_MS = 400;

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

export default async function (): Promise<BenchResults> {
  const broker = new TestBroker();
  await broker.start();
  const settings = defaultSettings({ chip: 'esp8266', name: 'Bench', preset: 'custom' });
  settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl, keepalive: 30 };
  settings.wifi = { ssid: HOME_AP.ssid, password: HOME_AP.password };
  // The lamp as the installer makes it by default (the settings say signed or plain).
  const lampSettings = settings;
  const problems = validateSettings(lampSettings, { purpose: 'board' });
  if (problems.length > 0) throw new Error(`settings: ${JSON.stringify(problems)}`);
  const lamp = await startLamp({ chip: 'esp8266', config: toConfigJson(lampSettings) });
  const remote = new LampRemote({ settings: lampSettings, commandTimeoutMs: 10_000 });
  remote.start();
  try {
    await waitFor(remote, (s) => s.presence === 'online' && s.power.state !== 'pending', 'the lamp online', 60_000);
    const times: number[] = [];
    let want: 'on' | 'off' = remote.snapshot.power.state === 'on' ? 'off' : 'on';
    for (let i = 0; i < COMMANDS; i++) {
      const t0 = performance.now();
      const outcome: CommandOutcome = await remote.command(want);
      const ms = performance.now() - t0;
      if (outcome.result !== 'confirmed') throw new Error(`command ${i} (${want}): ${JSON.stringify(outcome)}`);
      times.push(ms);
      want = want === 'on' ? 'off' : 'on';
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
    const signed = lampSettings.auth.mode === 'signed';
    return {
      'remote.roundtrip.firmware.p95': {
        value: p95(times),
        unit: 'ms',
        note: `${COMMANDS} commands, remote.ts over WebSocket → aedes (the test broker) → firmware/*.py on MicroPython (virtual ESP8266) → confirmed; ${signed ? 'signed' : 'unsigned'} lamp; median ${median(times).toFixed(0)} ms`,
      },
    };
  } finally {
    await remote.stop();
    await lamp.close();
    await broker.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
