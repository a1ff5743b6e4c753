// A lamp keeps its identity (issue 17): detection reads the config.json a board already carries
// (real MicroPython on the virtual board), version 1 and 2 are understood, anything else is not
// taken for a lamp, and the settings made from it keep the device id, topics, key, broker and
// Wi-Fi while the browser's own parts (storage key, name, WebSocket address) stay the saved lamp's.
import { describe, expect, it } from 'vitest';
import { deviceIdOf, detectMicroPython, parseBoardConfig, settingsFromBoard } from '../../../src/device/provision.ts';
import { configJsonBytes } from '../../../src/device/config-json.ts';
import { defaultSettings, toConfigJson, withTutorialProtocol, type ConfigJsonV1 } from '../../../src/lamp/settings.ts';
import { testBoard } from './repl-board.ts';

function lamp() {
  const s = defaultSettings({ chip: 'esp8266', deviceId: '3f9a2c', preset: 'custom', name: 'Teras' });
  s.wifi = { ssid: 'Kopi “Sore” ☕', password: 'sooko9999' };
  s.broker = { ...s.broker, host: '192.168.1.10', port: 1884, ws: 'ws://192.168.1.10:9001', user: 'lampu', password: 'rahasia' };
  s.lamp = { pin: 4, activeLow: false };
  return s;
}

describe('the lamp a board already carries', () => {
  it('detection reads its config.json (version 2) through the REPL', async () => {
    const s = lamp();
    const text = new TextDecoder().decode(configJsonBytes(s));
    const tb = testBoard({ files: { 'config.json': text, 'main.py': 'import time\nwhile True:\n    time.sleep_ms(50)\n' } });
    const info = await detectMicroPython(tb.board.port);
    expect(info?.config).toEqual(toConfigJson(s));
    expect(info && info.config && deviceIdOf(info.config)).toBe('3f9a2c');
  });

  it('a board without config.json, or with one that is not a lamp’s, carries no lamp', async () => {
    const tb = testBoard({ files: { 'config.json': '{"old": 1}\n' } });
    expect((await detectMicroPython(tb.board.port))?.config).toBeUndefined();
    expect(parseBoardConfig('')).toBeUndefined();
    expect(parseBoardConfig('not json')).toBeUndefined();
    const bad = { ...toConfigJson(lamp()), auth: { mode: 'signed', key: 'short' } };
    expect(parseBoardConfig(JSON.stringify(bad))).toBeUndefined();
  });

  it('settings from a version 2 config keep its identity and the saved lamp’s browser parts', () => {
    const onBoard = lamp();
    const saved = { ...onBoard, wifi: { ssid: '', password: '' }, broker: { ...onBoard.broker, password: '' } };
    const config = parseBoardConfig(JSON.stringify(toConfigJson(onBoard)))!;
    const s = settingsFromBoard(config, saved);
    expect(s).toEqual(onBoard);
  });

  it('a new lamp made from the board’s config keeps its device id, topics and key; a known broker gets its WebSocket address', () => {
    const onBoard = lamp();
    onBoard.broker = { ...onBoard.broker, preset: 'hivemq', host: 'broker.hivemq.com', port: 1883, ws: 'wss://broker.hivemq.com:8884/mqtt', user: '', password: '' };
    const base = defaultSettings({ chip: 'esp8266', preset: 'emqx' });
    const s = settingsFromBoard(parseBoardConfig(JSON.stringify(toConfigJson(onBoard)))!, base);
    expect(s.deviceId).toBe('3f9a2c');
    expect(s.topics).toEqual(onBoard.topics);
    expect(s.auth).toEqual(onBoard.auth);
    expect(s.broker.ws).toBe('wss://broker.hivemq.com:8884/mqtt');
    expect(s.broker.preset).toBe('hivemq');
    expect(s.key).toBe(base.key);
  });

  it('a version 1 config is a plain lamp with the tutorial’s topics as it has them', () => {
    const tutorial = withTutorialProtocol(lamp());
    const v2 = toConfigJson(tutorial);
    const { auth: _auth, ...rest } = v2;
    const v1: ConfigJsonV1 = { ...rest, version: 1 };
    const config = parseBoardConfig(JSON.stringify(v1))!;
    expect(config.version).toBe(1);
    const s = settingsFromBoard(config, defaultSettings({ chip: 'esp8266' }));
    expect(s.auth).toEqual({ mode: 'plain' });
    expect(s.topics).toEqual(tutorial.topics);
    expect(s.deviceId).toBe('3f9a2c');
  });
});
