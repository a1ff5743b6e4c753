// The lamp firmware before it reaches a broker, on the virtual board with the real MicroPython: a
// missing or broken config.json, a wrong Wi-Fi password, a missing access point. None of these
// needs a broker; each must end at the REPL or in patient retries, never in a reset loop.
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopics, lampConfig, startLamp, type Lamp } from './harness.ts';

const BOOT_MS = 20_000;
// A port nothing listens on: these boards never get as far as the broker.
const NO_BROKER = 9;

const lamps: Lamp[] = [];
afterEach(async () => {
  for (const l of lamps.splice(0)) await l.close();
}, 20_000);

async function boot(config: object | string | null, chip: 'esp8266' | 'esp32' = 'esp8266'): Promise<Lamp> {
  const l = await startLamp({ config, chip });
  lamps.push(l);
  return l;
}

const good = lampConfig({ port: NO_BROKER, clientId: 'nyala-boot', topics: deviceTopics('b00700') }) as Record<string, Record<string, unknown>>;

/** The REPL answers: proof the board is at the prompt and not in a loop. */
async function replAnswers(l: Lamp): Promise<void> {
  const at = l.uart.text.length;
  await l.uart.write('print(6 * 7)\r');
  await l.uart.waitFor(/42\r\n>>> $/, 10_000, at);
}

describe('a missing or broken config.json: one clear line, then the REPL', () => {
  it.each([
    ['no config.json at all', null, 'nyala: config error missing config.json'],
    ['not JSON', '{"version": 1, "wifi": {', 'nyala: config error invalid json'],
    ['JSON but not an object', '[1, 2]', 'nyala: config error invalid json'],
    ['another version', JSON.stringify({ ...good, version: 3 }), 'nyala: config error invalid version'],
    ['version 2 without auth', JSON.stringify({ ...good, version: 2 }), 'nyala: config error missing auth.mode'],
    ['an auth mode nobody knows', JSON.stringify({ ...good, version: 2, auth: { mode: 'secret' } }), 'nyala: config error invalid auth.mode'],
    ['signed without a key', JSON.stringify({ ...good, version: 2, auth: { mode: 'signed' } }), 'nyala: config error missing auth.key'],
    ['a key too short', JSON.stringify({ ...good, version: 2, auth: { mode: 'signed', key: '0011' } }), 'nyala: config error invalid auth.key'],
    ['a key in uppercase', JSON.stringify({ ...good, version: 2, auth: { mode: 'signed', key: '000102030405060708090A0B0C0D0E0F' } }), 'nyala: config error invalid auth.key'],
    ['a key that is not hex', JSON.stringify({ ...good, version: 2, auth: { mode: 'signed', key: 'zz0102030405060708090a0b0c0d0e0f' } }), 'nyala: config error invalid auth.key'],
    ['no Wi-Fi name', JSON.stringify({ ...good, wifi: { password: 'x' } }), 'nyala: config error missing wifi.ssid'],
    ['the port as text', JSON.stringify({ ...good, mqtt: { ...good.mqtt, port: '1883' } }), 'nyala: config error invalid mqtt.port'],
    ['a port out of range', JSON.stringify({ ...good, mqtt: { ...good.mqtt, port: 70000 } }), 'nyala: config error invalid mqtt.port'],
    ['no command topic', JSON.stringify({ ...good, topics: { reply: 'loger' } }), 'nyala: config error missing topics.command'],
    ['a lamp pin the ESP8266 does not have', JSON.stringify({ ...good, lamp: { pin: 99, active_low: true } }), 'nyala: config error invalid lamp.pin'],
  ] as const)('%s', async (_what, config, line) => {
    const l = await boot(config);
    await l.uart.waitFor(/>>> $/, BOOT_MS);
    expect(l.uart.lines()).toEqual([line]);
    await replAnswers(l);
    // It waited at the prompt: it did not run again.
    expect(l.uart.lines()).toEqual([line]);
  }, 40_000);
});

describe('Wi-Fi that does not work: the reason, then retries with growing pauses, never a reset', () => {
  // The two ports report a wrong password with different status codes (2 and 202).
  it.each(['esp8266', 'esp32'] as const)('a wrong password (%s)', async (chip) => {
    const l = await boot(lampConfig({ port: NO_BROKER, clientId: 'nyala-boot', topics: deviceTopics('b00701'), wifiPassword: 'salah' }), chip);
    const errors = await l.uart.waitLines(/^nyala: wifi error/, 3, 30_000);
    expect(errors.map((e) => e.line)).toEqual(Array(3).fill('nyala: wifi error wrong-password'));
    // The pause before each attempt doubles (1 s, 2 s, …), plus up to half as much at random:
    // 1–1.5 s, then 2–3 s.
    const first = errors[1]!.at - errors[0]!.at;
    const second = errors[2]!.at - errors[1]!.at;
    expect(second - first).toBeGreaterThan(300);
    // One boot: config.json was read once, every attempt said what it tried, no MQTT without Wi-Fi.
    expect(l.uart.countLines(/^nyala: config ok$/)).toBe(1);
    expect(l.uart.countLines(/^nyala: wifi connecting Suko$/)).toBeGreaterThanOrEqual(3);
    expect(l.uart.countLines(/^nyala: mqtt/)).toBe(0);
    expect(l.uart.text).not.toContain('salah'); // the password never goes to the log
    // Ctrl-C while it waits to retry gives the REPL back.
    const at = l.uart.text.length;
    await l.uart.write('\x03');
    await l.uart.waitFor(/KeyboardInterrupt[\s\S]*>>> $/, 10_000, at);
    await replAnswers(l);
    expect(l.board.state).toBe('app');
  }, 60_000);

  it('an access point that is not there', async () => {
    const l = await boot(lampConfig({ port: NO_BROKER, clientId: 'nyala-boot', topics: deviceTopics('b00702'), ssid: 'Tetangga' }));
    const errors = await l.uart.waitLines(/^nyala: wifi error/, 2, 30_000);
    expect(errors.map((e) => e.line)).toEqual(['nyala: wifi error no-ap', 'nyala: wifi error no-ap']);
    expect(l.uart.countLines(/^nyala: config ok$/)).toBe(1);
  }, 60_000);
});
