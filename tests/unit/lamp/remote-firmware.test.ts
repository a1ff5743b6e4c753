// The whole chain with no stand-in for the board: settings.ts makes the config.json, the real
// firmware (firmware/*.py on MicroPython on the virtual board) reads it and joins the broker over
// TCP, and remote.ts switches it over WebSocket.
import { afterEach, describe, expect, it } from 'vitest';
import { LampRemote } from '../../../src/lamp/remote.ts';
import { defaultSettings, toConfigJson, validateSettings } from '../../../src/lamp/settings.ts';
import { HOME_AP, startLamp } from '../firmware/harness.ts';
import { TestBroker, waitFor, withTimeout } from './harness.ts';

const BOOT_MS = 30_000;
const LAMP_PIN = 2;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 20_000);

describe('remote.ts and the real firmware', () => {
  it('config.json from the settings boots the lamp; on/off over WebSocket drive GPIO2 and come back as replies', async () => {
    const broker = new TestBroker();
    await broker.start();
    cleanups.push(() => broker.stop());

    const settings = defaultSettings({ chip: 'esp8266', name: 'Teras', preset: 'custom' });
    settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl, keepalive: 5 };
    settings.wifi = { ssid: HOME_AP.ssid, password: HOME_AP.password };
    expect(validateSettings(settings, { purpose: 'board' })).toEqual([]);

    const lamp = await startLamp({ chip: 'esp8266', config: toConfigJson(settings) });
    cleanups.push(() => lamp.close());
    const remote = new LampRemote({ settings, commandTimeoutMs: 10_000 });
    cleanups.push(() => remote.stop());
    remote.start();

    // Online and the lamp's state, both from retained messages, before any command.
    await waitFor(remote, (s) => s.presence === 'online' && s.power.state === 'off', 'the lamp online and off', BOOT_MS);

    const on = await withTimeout(remote.command('on'), 15_000, 'on');
    expect(on).toMatchObject({ result: 'confirmed', command: 'on' });
    await lamp.board.gpio.waitFor(LAMP_PIN, 0, 5_000); // active low: on = 0 V
    await waitFor(remote, (s) => s.lastReply?.text === 'saya hidup', 'saya hidup');

    const off = await withTimeout(remote.command('off'), 15_000, 'off');
    expect(off).toMatchObject({ result: 'confirmed', command: 'off' });
    await lamp.board.gpio.waitFor(LAMP_PIN, 1, 5_000);
    await waitFor(remote, (s) => s.lastReply?.text === 'saya mati' && s.power.state === 'off', 'saya mati');
  }, 90_000);
});
