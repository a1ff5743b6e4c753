import { describe, expect, it } from 'vitest';
import { isPairingHash, pairingHash, pairingUrl, parsePairingLink } from '../../../src/lamp/pairing.ts';
import { defaultSettings, type LampSettings } from '../../../src/lamp/settings.ts';

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
    expect(url.startsWith('https://nyala.example/app/#/pair?v=1&')).toBe(true);
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
    expect(parsePairingLink('#/pair?v=2&name=x')).toEqual({ ok: false, issues: [{ code: 'unsupported-version', version: '2' }] });
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
