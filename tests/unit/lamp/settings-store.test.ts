import { describe, expect, it } from 'vitest';
import { exportLamps, importLamps } from '../../../src/lamp/settings-file.ts';
import { LampStore, type KeyValueStorage } from '../../../src/lamp/settings-store.ts';
import { defaultSettings, type LampSettings } from '../../../src/lamp/settings.ts';

/** A real in-memory implementation of the Web Storage subset the store uses. */
class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

function lampWithSecrets(remember: LampSettings['remember']): LampSettings {
  const s = defaultSettings({ chip: 'esp32', name: 'Kamar' });
  s.broker = { ...s.broker, preset: 'custom', host: 'mqtt.local', ws: 'ws://mqtt.local:9001', user: 'lampu', password: 'broker-secret' };
  s.wifi = { ssid: 'Suko', password: 'wifi-secret-1' };
  s.remember = remember;
  return s;
}

describe('browser storage', () => {
  it('keeps no secret unless the person asked', () => {
    const storage = new MemoryStorage();
    const store = new LampStore(storage);
    const lamp = lampWithSecrets({ brokerCredentials: false, wifiPassword: false });
    store.save([lamp]);
    const raw = [...storage.data.values()].join('');
    expect(raw).not.toContain('broker-secret');
    expect(raw).not.toContain('wifi-secret');
    const [loaded] = store.load();
    expect(loaded).toEqual({ ...lamp, broker: { ...lamp.broker, user: '', password: '' }, wifi: { ssid: 'Suko', password: '' } });
  });

  it('keeps the broker credentials and the Wi-Fi password each only when remembered', () => {
    const store = new LampStore(new MemoryStorage());
    const brokerOnly = lampWithSecrets({ brokerCredentials: true, wifiPassword: false });
    const both = lampWithSecrets({ brokerCredentials: true, wifiPassword: true });
    store.save([brokerOnly, both]);
    const [a, b] = store.load();
    expect(a?.broker).toMatchObject({ user: 'lampu', password: 'broker-secret' });
    expect(a?.wifi.password).toBe('');
    expect(b).toEqual(both);
  });

  it('survives damaged storage and skips a lamp it cannot read', () => {
    const storage = new MemoryStorage();
    const store = new LampStore(storage);
    storage.setItem('nyala.lamps.v1', '{not json');
    expect(store.load()).toEqual([]);
    const good = defaultSettings();
    storage.setItem('nyala.lamps.v1', JSON.stringify({ lamps: [{ name: 'broken' }, good] }));
    expect(store.load()).toEqual([good]);
  });
});

describe('JSON export and import', () => {
  it('round-trips lamps and leaves secrets out unless asked', () => {
    const lamp = lampWithSecrets({ brokerCredentials: true, wifiPassword: true });
    const plain = exportLamps([lamp], { includeSecrets: false, includeKeys: true });
    expect(plain).not.toContain('secret');
    const back = importLamps(plain);
    expect(back.ok && back.lamps[0]).toEqual({ ...lamp, broker: { ...lamp.broker, user: '', password: '' }, wifi: { ssid: 'Suko', password: '' } });
    const full = importLamps(exportLamps([lamp], { includeSecrets: true, includeKeys: true }));
    expect(full.ok && full.lamps).toEqual([lamp]);
  });

  it('refuses broken files with a coded reason', () => {
    expect(importLamps('nope')).toEqual({ ok: false, issues: [{ code: 'json-syntax' }] });
    expect(importLamps('{"lamps": []}')).toEqual({ ok: false, issues: [{ code: 'json-format' }] });
    expect(importLamps('{"format":"nyala-lamps","version":9,"lamps":[]}')).toEqual({
      ok: false,
      issues: [{ code: 'json-version', version: 9 }],
    });
    const lamp = defaultSettings();
    const file = JSON.parse(exportLamps([lamp, lamp, lamp], { includeSecrets: false, includeKeys: true })) as { lamps: Record<string, unknown>[] };
    file.lamps[1]!.topics = { ...lamp.topics, status: 42 };
    file.lamps[2]!.topics = { ...lamp.topics, command: 'nyala/#' };
    expect(importLamps(JSON.stringify(file))).toEqual({
      ok: false,
      issues: [
        { code: 'json-field', lamp: 1, path: 'topics.status' },
        { code: 'invalid-lamp', lamp: 2, issues: [{ field: 'topics.command', code: 'topic-wildcard', char: '#' }] },
      ],
    });
  });
});

describe('the signing key in storage and in exports', () => {
  const KEY = '000102030405060708090a0b0c0d0e0f';
  function signed(name = 'Teras'): LampSettings {
    const s = defaultSettings({ name });
    s.auth = { mode: 'signed', key: KEY };
    return s;
  }

  it('keeps the key in storage (the remote signs with it), whatever else is remembered', () => {
    const store = new LampStore(new MemoryStorage());
    const lamp = signed();
    store.save([lamp]);
    expect(store.load()).toEqual([lamp]);
  });

  it('reads a lamp stored before signing existed as plain', () => {
    const storage = new MemoryStorage();
    const old = defaultSettings() as Partial<LampSettings>;
    delete old.auth;
    storage.setItem('nyala.lamps.v1', JSON.stringify({ format: 'nyala-lamps', version: 1, lamps: [old] }));
    const [loaded] = new LampStore(storage).load();
    expect(loaded?.auth).toEqual({ mode: 'plain' });
    expect(loaded?.topics).toEqual(old.topics);
  });

  it('leaves the key out of an export unless asked; importing such a file names the lamp that lacks it', () => {
    const plainLamp = { ...defaultSettings({ name: 'Tutorial' }), auth: { mode: 'plain' as const } };
    const without = exportLamps([signed('Teras'), plainLamp], { includeSecrets: true, includeKeys: false });
    expect(without).not.toContain(KEY);
    const file = JSON.parse(without) as { lamps: { auth: unknown }[] };
    expect(file.lamps[0]!.auth).toEqual({ mode: 'signed' });
    expect(importLamps(without)).toEqual({ ok: false, issues: [{ code: 'missing-key', lamp: 0, name: 'Teras' }] });

    const withKeys = exportLamps([signed('Teras'), plainLamp], { includeSecrets: false, includeKeys: true });
    expect(withKeys).toContain(KEY);
    const back = importLamps(withKeys);
    expect(back.ok && back.lamps.map((l) => l.auth)).toEqual([{ mode: 'signed', key: KEY }, { mode: 'plain' }]);
  });

  it('refuses a damaged auth or a malformed key on import', () => {
    const lamp = signed();
    const file = JSON.parse(exportLamps([lamp, lamp], { includeSecrets: false, includeKeys: true })) as { lamps: Record<string, unknown>[] };
    file.lamps[0]!.auth = { mode: 'sometimes' };
    file.lamps[1]!.auth = { mode: 'signed', key: 'abc' };
    expect(importLamps(JSON.stringify(file))).toEqual({
      ok: false,
      issues: [
        { code: 'json-field', lamp: 0, path: 'auth.mode' },
        { code: 'invalid-lamp', lamp: 1, issues: [{ field: 'auth.key', code: 'key-invalid' }] },
      ],
    });
  });
});
