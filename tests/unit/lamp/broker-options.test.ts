// The remote hands MQTT.js connect options, never the broker's URL string: the app's browser build
// of MQTT.js (scripts/mqtt-browser.ts) has no url.parse, and its stub throws if reached. These
// tests run MQTT.js's Node build, which has url.parse, and check two things: the options lead
// MQTT.js to the WebSocket address (and credentials) it made from the URL string, and the remote
// never calls url.parse while it connects.
import url from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import mqtt, { type IClientOptions } from 'mqtt';
import { LampRemote, brokerOptions } from '../../../src/lamp/remote.ts';
import { defaultSettings } from '../../../src/lamp/settings.ts';
import { TestBroker, waitFor } from './harness.ts';

/** The WebSocket address and credentials MQTT.js uses for these arguments, caught before it dials. */
function dialled(...args: [string, IClientOptions] | [IClientOptions]): { url: string; username?: string; password?: string } {
  let seen: { url: string; username?: string; password?: string } | null = null;
  const options: IClientOptions = {
    reconnectPeriod: 0,
    createWebsocket: (address: string, _protocols: string[], opts: IClientOptions) => {
      seen = { url: address, username: opts.username, password: opts.password?.toString() };
      throw new Error('caught before dialling');
    },
  };
  const last = args.length === 2 ? { ...args[1], ...options } : { ...args[0], ...options };
  expect(() => (args.length === 2 ? mqtt.connect(args[0], last) : mqtt.connect(last))).toThrow('caught before dialling');
  if (seen === null) throw new Error('MQTT.js did not reach its WebSocket transport');
  return seen;
}

describe('brokerOptions', () => {
  const urls = [
    'ws://broker.local',
    'ws://broker.local:9001',
    'wss://broker.example.com/mqtt',
    'wss://broker.example.com:8884/mqtt?token=a%20b',
    'ws://192.168.1.5:80/',
    'wss://BROKER.example.com:443/ws',
    'wss://user%40home:p%3Ass@broker.example.com:8884/',
  ];
  for (const address of urls) {
    it(`leads MQTT.js to the same WebSocket address and credentials as the string ${address}`, () => {
      expect(dialled(brokerOptions(address))).toEqual(dialled(address, {}));
    });
  }

  it('gives ws no port (MQTT.js then uses 80) and wss 443, as a URL without one means', () => {
    expect(dialled(brokerOptions('ws://h')).url).toBe('ws://h:80/');
    expect(dialled(brokerOptions('wss://h/mqtt')).url).toBe('wss://h:443/mqtt');
  });

  it('keeps an IPv6 address in brackets (url.parse dropped them and MQTT.js then built a broken address)', () => {
    expect(dialled(brokerOptions('ws://[::1]:9001/mqtt')).url).toBe('ws://[::1]:9001/mqtt');
  });

  it('refuses an address that is not ws: or wss:', () => {
    expect(() => brokerOptions('mqtt://h:1883')).toThrow(/not a WebSocket URL/);
  });
});

describe('the remote connects without url.parse', () => {
  const broker = new TestBroker();
  afterEach(async () => {
    vi.restoreAllMocks();
    await broker.dispose();
  });

  it('(the spy sees MQTT.js parse a URL string, so the test below can fail)', () => {
    const parse = vi.spyOn(url, 'parse');
    dialled('ws://broker.local:9001/mqtt', {});
    expect(parse).toHaveBeenCalledWith('ws://broker.local:9001/mqtt', true);
  });

  it('connects over ws to a real broker and never hands MQTT.js a URL string', async () => {
    await broker.start();
    const parse = vi.spyOn(url, 'parse');
    const settings = defaultSettings({ name: 'Teras', preset: 'custom' });
    settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
    const remote = new LampRemote({ settings, commandTimeoutMs: 3_000, backoff: { initialMs: 20, maxMs: 200 } });
    try {
      remote.start();
      await waitFor(remote, (s) => s.connection.state === 'connected', 'connected');
      expect(parse.mock.calls.filter(([arg]) => arg === broker.wsUrl)).toEqual([]);
    } finally {
      remote.stop();
    }
  });
});
