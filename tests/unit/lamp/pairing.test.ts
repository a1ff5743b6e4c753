import { describe, expect, it } from 'vitest';
import {
  findPairedLamp,
  isPairingHash,
  mergePairedLamp,
  pairingHash,
  pairingUrl,
  parsePairingLink,
} from '../../../src/lamp/pairing.ts';
import { TUTORIAL_TOPICS, defaultSettings, withTutorialProtocol, type LampSettings } from '../../../src/lamp/settings.ts';

function awkwardLamp(): LampSettings {
  const s = defaultSettings({ deviceId: 'a1b2c3', name: 'Lampu teras & dapur #2 / ruang? 💡 çà' });
  s.broker = { ...s.broker, preset: 'custom', host: 'mqtt.rumah.local', port: 1884, ws: 'wss://mqtt.rumah.local:8443/mqtt?x=1&y=2' };
  s.topics = {
    command: 'rumah saya/lampu & co/perintah?',
    reply: 'rumah saya/lampu/balasan ✓',
    status: 'rumah/lampu/status/ünï',
    state: 'rumah/lampu/state=on&off',
  };
  s.replies = { on: 'saya hidup 😀', off: 'saya mati & tidur' };
  s.wifi = { ssid: 'Suko', password: 'wifi-secret-123' };
  s.broker.user = 'tamu';
  s.broker.password = 'p@ss&word#?';
  return s;
}

describe('pairing link', () => {
  it('round-trips names and topics with spaces, unicode and &#/? in them', () => {
    const s = awkwardLamp();
    const url = pairingUrl('https://nyala.example/app/#/remote', s, { includeCredentials: false });
    expect(url.startsWith('https://nyala.example/app/#/pair?v=2&')).toBe(true);
    // Nothing after the route's own "?" may look like a second fragment or query.
    expect(url.slice(url.indexOf('#') + 1)).not.toMatch(/[#\s]/);

    const parsed = parsePairingLink(url);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.settings.name).toBe(s.name);
    expect(parsed.settings.topics).toEqual(s.topics);
    expect(parsed.settings.replies).toEqual(s.replies);
    expect(parsed.settings.broker).toMatchObject({ host: 'mqtt.rumah.local', port: 1884, ws: s.broker.ws, preset: 'custom' });
    // Opened on the phone through the router, only the hash is at hand.
    const viaHash = parsePairingLink(pairingHash(s, { includeCredentials: false }));
    expect(viaHash.ok && viaHash.settings.topics).toEqual(s.topics);
  });

  it('never carries the Wi-Fi password, and the broker credentials only when asked', () => {
    const s = awkwardLamp();
    const without = pairingHash(s, { includeCredentials: false });
    expect(without).not.toContain('wifi-secret');
    expect(without).not.toContain('password');
    expect(without).not.toContain('tamu');
    const parsedWithout = parsePairingLink(without);
    expect(parsedWithout.ok && parsedWithout.settings.broker).toMatchObject({ user: '', password: '' });
    expect(parsedWithout.ok && parsedWithout.carriedCredentials).toBe(false);

    const withCreds = pairingHash(s, { includeCredentials: true });
    expect(withCreds).not.toContain('wifi-secret');
    const parsed = parsePairingLink(withCreds);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.carriedCredentials).toBe(true);
    expect(parsed.settings.broker).toMatchObject({ user: 'tamu', password: 'p@ss&word#?' });
    expect(parsed.settings.wifi.password).toBe('');
    expect(parsed.settings.remember.brokerCredentials).toBe(true);
  });

  it('keeps the device id of per-device topics and recognises a preset broker', () => {
    const s = defaultSettings({ deviceId: '0badf0', preset: 'emqx' });
    const parsed = parsePairingLink(pairingHash(s, { includeCredentials: false }));
    expect(parsed.ok && parsed.settings.deviceId).toBe('0badf0');
    expect(parsed.ok && parsed.settings.broker.preset).toBe('emqx');
  });

  it('refuses wildcard and empty topics with a reason', () => {
    const s = defaultSettings();
    s.topics.command = 'nyala/+/lampu';
    s.topics.state = '';
    const parsed = parsePairingLink(pairingHash(s, { includeCredentials: false }));
    expect(parsed).toEqual({
      ok: false,
      issues: [
        { code: 'invalid', issue: { field: 'topics.command', code: 'topic-wildcard', char: '+' } },
        { code: 'invalid', issue: { field: 'topics.state', code: 'empty' } },
      ],
    });
    const hashTopic = parsePairingLink(pairingHash({ ...s, topics: { ...defaultSettings().topics, reply: 'a/#' } }, { includeCredentials: false }));
    expect(hashTopic.ok).toBe(false);
    expect(!hashTopic.ok && hashTopic.issues).toEqual([{ code: 'invalid', issue: { field: 'topics.reply', code: 'topic-wildcard', char: '#' } }]);
  });

  it('refuses other links, other versions and missing parts', () => {
    expect(parsePairingLink('https://nyala.example/#/remote')).toEqual({ ok: false, issues: [{ code: 'not-a-pairing-link' }] });
    expect(parsePairingLink('#/pair?v=3&name=x')).toEqual({ ok: false, issues: [{ code: 'unsupported-version', version: '3' }] });
    const q = new URLSearchParams(pairingHash(defaultSettings(), { includeCredentials: false }).slice('#/pair?'.length));
    q.delete('reply');
    expect(parsePairingLink(`#/pair?${q}`)).toEqual({ ok: false, issues: [{ code: 'missing', param: 'reply' }] });
    q.set('reply', 'r');
    q.set('port', 'x');
    expect(parsePairingLink(`#/pair?${q}`)).toEqual({ ok: false, issues: [{ code: 'bad-number', param: 'port' }] });
  });

  it('tells the router which hashes are the pairing route', () => {
    expect(isPairingHash('#/pair?v=1')).toBe(true);
    expect(isPairingHash('#/remote')).toBe(false);
    expect(isPairingHash('#/pairing')).toBe(false);
  });
});

describe('pairing link version 2: the signing key', () => {
  const KEY = '000102030405060708090a0b0c0d0e0f';

  it('carries a signed lamp\'s key in the fragment and gives the phone a signed lamp with it', () => {
    const s = defaultSettings({ deviceId: '3f9a2c' });
    s.auth = { mode: 'signed', key: KEY };
    const url = pairingUrl('https://nyala.example/', s, { includeCredentials: false });
    const fragment = url.slice(url.indexOf('#'));
    expect(url.indexOf(KEY)).toBeGreaterThan(url.indexOf('#')); // never before the fragment
    expect(new URLSearchParams(fragment.slice('#/pair?'.length)).get('key')).toBe(KEY);
    const parsed = parsePairingLink(url);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.settings.auth).toEqual({ mode: 'signed', key: KEY });
    expect(parsed.settings.deviceId).toBe('3f9a2c');
  });

  it('never carries a key for a plain lamp, and reads it back as plain', () => {
    const s = withTutorialProtocol(defaultSettings());
    const hash = pairingHash(s, { includeCredentials: false });
    expect(hash).toContain('v=2&');
    expect(new URLSearchParams(hash.slice('#/pair?'.length)).has('key')).toBe(false);
    const parsed = parsePairingLink(hash);
    expect(parsed.ok && parsed.settings.auth).toEqual({ mode: 'plain' });
    expect(parsed.ok && parsed.settings.topics).toEqual(TUTORIAL_TOPICS);
  });

  it('reads a version 1 link as a plain lamp, even if it has a key', () => {
    const s = defaultSettings({ deviceId: 'a1b2c3' });
    const q = new URLSearchParams(pairingHash(s, { includeCredentials: false }).slice('#/pair?'.length));
    q.set('v', '1');
    const parsed = parsePairingLink(`#/pair?${q}`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.settings.auth).toEqual({ mode: 'plain' });
    expect(parsed.settings.topics).toEqual(s.topics);
  });

  it('refuses a malformed key rather than making a lamp that can never switch', () => {
    const s = defaultSettings();
    const q = new URLSearchParams(pairingHash(s, { includeCredentials: false }).slice('#/pair?'.length));
    for (const bad of ['', KEY.slice(0, 31), KEY.toUpperCase(), `${KEY}0`, 'x'.repeat(32)]) {
      q.set('key', bad);
      expect(parsePairingLink(`#/pair?${q}`)).toEqual({ ok: false, issues: [{ code: 'bad-key' }] });
    }
  });
});

describe('a pairing link for a lamp this browser already has', () => {
  function known(): LampSettings {
    const s = defaultSettings({ deviceId: '3f9a2c', name: 'Teras', chip: 'esp32', preset: 'custom' });
    s.broker = { ...s.broker, host: 'mqtt.local', ws: 'wss://mqtt.local:8443/mqtt', user: 'lama', password: 'sandi-lama', keepalive: 45 };
    s.remember = { brokerCredentials: true, wifiPassword: true };
    s.wifi = { ssid: 'Suko', password: 'wifi-secret-1' };
    s.lamp = { pin: 5, activeLow: false };
    return s;
  }

  function link(from: LampSettings, includeCredentials: boolean) {
    const parsed = parsePairingLink(pairingHash(from, { includeCredentials }));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed;
  }

  it('is found by device id, or by command topic and broker URL; another lamp is not', () => {
    const mine = known();
    const other = defaultSettings({ deviceId: '0badf0' });
    const tutorial = withTutorialProtocol(defaultSettings({ deviceId: '111111', preset: 'emqx' }));
    const lamps = [other, mine, tutorial];

    const sameDevice = known();
    sameDevice.broker.ws = 'wss://elsewhere.example/mqtt'; // moved broker: still the same lamp
    expect(findPairedLamp(lamps, link(sameDevice, false).settings)).toBe(mine);
    // A tutorial lamp has no device id in its topics: the command topic on the same broker it is.
    const tutorialAgain = link(withTutorialProtocol(defaultSettings({ preset: 'emqx' })), false).settings;
    expect(findPairedLamp(lamps, tutorialAgain)).toBe(tutorial);
    const tutorialElsewhere = link(withTutorialProtocol(defaultSettings({ preset: 'hivemq' })), false).settings;
    expect(findPairedLamp(lamps, tutorialElsewhere)).toBeNull();
    expect(findPairedLamp(lamps, link(defaultSettings({ deviceId: 'c0ffee' }), false).settings)).toBeNull();
  });

  it('takes the link\'s key, topics and broker; keeps the storage id, the old credentials and what the link has not', () => {
    const existing = known();
    const sender = known();
    sender.name = 'Teras baru';
    sender.auth = { mode: 'signed', key: 'ffeeddccbbaa99887766554433221100' };
    sender.broker = { ...sender.broker, ws: 'wss://mqtt.local:9443/mqtt', user: 'baru', password: 'sandi-baru' };
    const incoming = link(sender, false);
    const merged = mergePairedLamp(existing, incoming.settings, incoming.carriedCredentials);
    expect(merged).toEqual({
      ...existing,
      name: 'Teras baru',
      auth: { mode: 'signed', key: 'ffeeddccbbaa99887766554433221100' },
      broker: { ...existing.broker, ws: 'wss://mqtt.local:9443/mqtt' },
    });
    expect(merged.key).toBe(existing.key);
    expect(merged.broker).toMatchObject({ user: 'lama', password: 'sandi-lama' });
  });

  it('takes new broker credentials when the link brings them', () => {
    const existing = known();
    const sender = known();
    sender.broker = { ...sender.broker, user: 'baru', password: 'sandi-baru' };
    sender.remember = { brokerCredentials: true, wifiPassword: false };
    const incoming = link(sender, true);
    const merged = mergePairedLamp(existing, incoming.settings, incoming.carriedCredentials);
    expect(merged.broker).toMatchObject({ user: 'baru', password: 'sandi-baru', keepalive: 45 });
    expect(merged.remember.brokerCredentials).toBe(true);
    expect(merged.wifi).toEqual(existing.wifi);
  });

  it('finds a plain tutorial lamp again: plain it stays, its device id kept', () => {
    const existing = withTutorialProtocol(known());
    const incoming = link(withTutorialProtocol(known()), false);
    expect(findPairedLamp([existing], incoming.settings)).toBe(existing);
    const merged = mergePairedLamp(existing, incoming.settings, false);
    expect(merged.auth).toEqual({ mode: 'plain' });
    expect(merged.deviceId).toBe(existing.deviceId);
  });
});
