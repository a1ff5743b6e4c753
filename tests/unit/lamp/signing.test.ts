import { describe, expect, it } from 'vitest';
import { lampMac, signPayload, verifyPayload, type MacKind } from '../../../src/lamp/signing.ts';

const KEY = '000102030405060708090a0b0c0d0e0f';

describe('lamp MAC (docs/contracts.md test vector)', () => {
  it.each<[MacKind, string, string, string]>([
    ['cmd', 'nyala/3f9a2c/lampu', 'on 0123456789abcdef', '70ec17d833d6d3d7b586c938b26992f1bdf319f49411195da200e8adb6ee39f9'],
    ['state', 'nyala/3f9a2c/state', 'off 89abcdef01234567', '96b25a1290090235f0ae2be747850f00e2e306ff428f153519a625b0657c9f6d'],
    ['reply', 'nyala/3f9a2c/loger', 'saya hidup 0123456789abcdef', 'b27fb298f2c2acf8ac7d81d60eb6267bab62c03dd3c6b85796e33f2121d85287'],
    ['status', 'nyala/3f9a2c/status', 'offline fedcba9876543210', '6081bd3eb592ab24f7eed087d2a2fe55bda086fe3ac993e0f01b4605236c9dcb'],
  ])('%s on %s', (kind, topic, body, mac) => {
    expect(lampMac(KEY, kind, topic, body)).toBe(mac);
    expect(signPayload(KEY, kind, topic, body)).toBe(`${body} ${mac}`);
    expect(verifyPayload(KEY, kind, topic, `${body} ${mac}`)).toEqual({ body });
  });

  it('refuses the payload for another kind, topic, key, body, or with a damaged or missing MAC', () => {
    const topic = 'nyala/3f9a2c/lampu';
    const good = signPayload(KEY, 'cmd', topic, 'on 0123456789abcdef');
    expect(verifyPayload(KEY, 'reply', topic, good)).toBeNull();
    expect(verifyPayload(KEY, 'cmd', 'nyala/3f9a2d/lampu', good)).toBeNull();
    expect(verifyPayload('ffffffffffffffffffffffffffffffff', 'cmd', topic, good)).toBeNull();
    expect(verifyPayload(KEY, 'cmd', topic, good.replace(/^on/, 'of'))).toBeNull();
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect(verifyPayload(KEY, 'cmd', topic, flipped)).toBeNull();
    expect(verifyPayload(KEY, 'cmd', topic, good.toUpperCase())).toBeNull();
    expect(verifyPayload(KEY, 'cmd', topic, 'on')).toBeNull();
    expect(verifyPayload(KEY, 'cmd', topic, '')).toBeNull();
    expect(verifyPayload(KEY, 'cmd', topic, 'on 0123456789abcdef')).toBeNull();
  });

  it('gives each key its own MAC when keys alternate (the keyed HMAC is reused only for the same key)', () => {
    const other = 'ffeeddccbbaa99887766554433221100';
    const vector = '70ec17d833d6d3d7b586c938b26992f1bdf319f49411195da200e8adb6ee39f9';
    const topic = 'nyala/3f9a2c/lampu';
    const body = 'on 0123456789abcdef';
    expect(lampMac(KEY, 'cmd', topic, body)).toBe(vector);
    const withOther = lampMac(other, 'cmd', topic, body);
    expect(withOther).not.toBe(vector);
    expect(lampMac(KEY, 'cmd', topic, body)).toBe(vector);
    expect(lampMac(other, 'cmd', topic, body)).toBe(withOther);
    // Reusing the keyed state many times does not drift.
    for (let i = 0; i < 5; i++) expect(lampMac(KEY, 'cmd', topic, body)).toBe(vector);
  });

  it('signs unicode bodies as UTF-8 and rejects a key that is not 32 lowercase hex digits', () => {
    const body = 'lampu menyala ✓ 0123456789abcdef';
    expect(verifyPayload(KEY, 'reply', 'x/y', signPayload(KEY, 'reply', 'x/y', body))).toEqual({ body });
    expect(() => lampMac('0001', 'cmd', 't', 'on')).toThrow();
    expect(() => lampMac(KEY.toUpperCase(), 'cmd', 't', 'on')).toThrow();
  });
});
