// The firmware's log lines (docs/contracts.md) parsed into events, and the hint for each failure.
import { describe, expect, it } from 'vitest';
import { hintFor, parseLampLog } from '../../../src/device/lamp-log.ts';

describe('parseLampLog', () => {
  it('reads every line of the contract', () => {
    expect(parseLampLog('nyala: config ok')).toEqual({ part: 'config', word: 'ok' });
    expect(parseLampLog('nyala: config error missing wifi.ssid')).toEqual({ part: 'config', word: 'error', reason: 'missing', detail: 'wifi.ssid' });
    expect(parseLampLog('nyala: config error invalid json')).toEqual({ part: 'config', word: 'error', reason: 'invalid', detail: 'json' });
    expect(parseLampLog('nyala: wifi connecting Kopi "Sore" café')).toEqual({ part: 'wifi', word: 'connecting', ssid: 'Kopi "Sore" café' });
    expect(parseLampLog('nyala: wifi ok 192.168.4.2')).toEqual({ part: 'wifi', word: 'ok', ip: '192.168.4.2' });
    expect(parseLampLog('nyala: wifi error wrong-password')).toEqual({ part: 'wifi', word: 'error', reason: 'wrong-password', detail: '' });
    expect(parseLampLog('nyala: mqtt connecting broker.hivemq.com:1883')).toEqual({ part: 'mqtt', word: 'connecting', host: 'broker.hivemq.com', port: 1883 });
    expect(parseLampLog('nyala: mqtt ok')).toEqual({ part: 'mqtt', word: 'ok' });
    expect(parseLampLog('nyala: mqtt error refused 2')).toEqual({ part: 'mqtt', word: 'error', reason: 'refused', detail: '2' });
    expect(parseLampLog('nyala: mqtt error lost ping')).toEqual({ part: 'mqtt', word: 'error', reason: 'lost', detail: 'ping' });
    expect(parseLampLog('nyala: lamp on')).toEqual({ part: 'lamp', word: 'on' });
    expect(parseLampLog('nyala: lamp ignored 7 bytes')).toEqual({ part: 'lamp', word: 'ignored', bytes: 7 });
  });

  it('reads the signed lamp\'s lines (issue 13)', () => {
    for (const reason of ['retained', 'malformed', 'bad-mac', 'stale'] as const) {
      expect(parseLampLog(`nyala: lamp refused ${reason}`)).toEqual({ part: 'lamp', word: 'refused', reason });
    }
    expect(parseLampLog('nyala: lamp refused because')).toBeNull();
    expect(parseLampLog('nyala: mqtt error protocol qos2')).toEqual({ part: 'mqtt', word: 'error', reason: 'protocol', detail: 'qos2' });
    expect(parseLampLog('nyala: mqtt error protocol type15')).toEqual({ part: 'mqtt', word: 'error', reason: 'protocol', detail: 'type15' });
    // A refusal is not a failure of the lamp; a protocol error gets the advice for a wrong host/port.
    expect(hintFor(parseLampLog('nyala: lamp refused stale')!)).toBeNull();
    expect(hintFor(parseLampLog('nyala: mqtt error protocol too-big')!)).toBe('broker-refused');
  });

  it('ignores what is not a log line of ours', () => {
    expect(parseLampLog('MicroPython v1.27.0 on 2025-12-09; ESP module with ESP8266')).toBeNull();
    expect(parseLampLog('nyala: wifi error sunspots')).toBeNull();
    expect(parseLampLog('nyala: kettle on')).toBeNull();
  });

  it('gives a hint for each failure and none for progress', () => {
    const hint = (line: string): string | null => hintFor(parseLampLog(line)!);
    expect(hint('nyala: wifi error wrong-password')).toBe('wrong-password');
    expect(hint('nyala: wifi error no-ap')).toBe('no-ap');
    expect(hint('nyala: wifi error timeout')).toBe('wifi-timeout');
    expect(hint('nyala: mqtt error refused 111')).toBe('broker-refused');
    expect(hint('nyala: mqtt error auth 5')).toBe('broker-auth');
    expect(hint('nyala: mqtt error timeout')).toBe('broker-timeout');
    expect(hint('nyala: config error invalid json')).toBe('config');
    expect(hint('nyala: wifi ok 10.0.0.2')).toBeNull();
  });
});
