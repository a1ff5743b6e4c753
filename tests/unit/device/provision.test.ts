// Uploading the lamp program through the REPL of real MicroPython on the virtual board: bytes as
// in the repo, config.json as the board parses it, interrupting a running main.py, sha256
// verification with one retry, renames only after verification, leftovers finished, and the
// boot log followed to online or to a hint.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Repl } from '../../../src/device/repl.ts';
import {
  detectMicroPython,
  followBoot,
  provisionLamp,
  scanWifi,
  UploadError,
  type ProgramFile,
  type ProvisionEvent,
} from '../../../src/device/provision.ts';
import { configJsonBytes, lampProgram } from '../../../src/device/lamp-program.ts';
import { defaultSettings, toConfigJson, type LampSettings } from '../../../src/lamp/settings.ts';
import { TestBroker } from '../lamp/harness.ts';
import { testBoard, type TestBoard } from './repl-board.ts';

const FIRMWARE = ['wifi.py', 'mqtt.py', 'main.py'] as const;
const repoBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../firmware/${name}`, import.meta.url)));

/** An SSID and password with quotes, a backslash and non-ASCII: they must round-trip exactly. */
function settings(overrides: Partial<LampSettings['wifi']> = {}): LampSettings {
  const s = defaultSettings({ chip: 'esp8266', deviceId: '3f9a2c' });
  s.wifi = { ssid: `Kopi "Sore" \\ café ☕'`, password: `p@ss "w0rd" \\ ü'`, ...overrides };
  s.broker.host = '127.0.0.1';
  return s;
}

const OLD = { 'wifi.py': 'print("old wifi")\n', 'mqtt.py': 'print("old mqtt")\n', 'main.py': 'print("old main")\n', 'config.json': '{"old": 1}\n' };
const NOT_OURS = { 'notes.txt': 'mine, not the uploader\'s\n', 'lib/util.py': 'x = 1\n' };

function events(): { list: ProvisionEvent[]; on: (e: ProvisionEvent) => void } {
  const list: ProvisionEvent[] = [];
  return { list, on: (e) => list.push(e) };
}

/** Run code on the board in a REPL session of the test's own (the port is closed after). */
async function onBoard(tb: TestBoard, code: string): Promise<string> {
  const repl = await Repl.open(tb.board.port);
  try {
    await repl.enterRawRepl();
    return await repl.exec(code);
  } finally {
    await repl.close();
  }
}

function expectProgramOnBoard(tb: TestBoard, s: LampSettings): void {
  for (const name of FIRMWARE) expect(tb.file(name), name).toEqual(repoBytes(name));
  expect(tb.file('config.json')).toEqual(configJsonBytes(s));
  for (const name of [...FIRMWARE, 'config.json']) expect(tb.file(`${name}.tmp`), `${name}.tmp`).toBeUndefined();
}

describe('lamp program files', () => {
  it('are the repo files byte for byte (the ?raw import keeps UTF-8 and line ends)', () => {
    const files = lampProgram(settings());
    expect(files.map((f) => f.name)).toEqual([...FIRMWARE, 'config.json']);
    for (const name of FIRMWARE) expect(files.find((f) => f.name === name)!.bytes).toEqual(repoBytes(name));
  });
});

describe('provisionLamp', () => {
  it('uploads everything; the files equal the repo bytes; config.json parses on the board to the settings', async () => {
    const tb = testBoard({ files: NOT_OURS });
    const s = settings();
    const ev = events();
    const result = await provisionLamp(tb.board.port, lampProgram(s), { restart: false, onEvent: ev.on });
    expect(result.upload.written).toEqual([...FIRMWARE, 'config.json']);
    expectProgramOnBoard(tb, s);
    // Files that are not ours are untouched.
    expect(new TextDecoder().decode(tb.file('notes.txt'))).toBe(NOT_OURS['notes.txt']);
    expect(new TextDecoder().decode(tb.file('lib/util.py'))).toBe(NOT_OURS['lib/util.py']);
    // The board's own json module reads it back to what the settings say (hex keeps UTF-8 intact).
    const hex = await onBoard(tb, "import json\nc = json.load(open('config.json'))\nprint(''.join('%02x' % b for b in json.dumps(c).encode()))");
    const parsed: unknown = JSON.parse(Buffer.from(hex.trim(), 'hex').toString('utf8'));
    expect(parsed).toEqual(toConfigJson(s));
    expect((parsed as { wifi: { ssid: string } }).wifi.ssid).toBe(`Kopi "Sore" \\ café ☕'`);
    // Progress: monotonic within a file, ends at the total, with a rate.
    const writing = ev.list.filter((e) => e.state === 'writing');
    const last = writing[writing.length - 1];
    expect(last?.state === 'writing' && last.progress.done).toBe(lampProgram(s).reduce((n, f) => n + f.bytes.length, 0));
    expect(last?.state === 'writing' && last.progress.bytesPerSecond).toBeGreaterThan(0);
    expect(ev.list.map((e) => e.state)).toEqual(expect.arrayContaining(['connecting', 'checking', 'plan', 'verifying', 'renaming', 'uploaded']));
  });

  it.each([
    ['sleeps in a loop', 'import time\nwhile True:\n    time.sleep_ms(100)\n'],
    ['prints nonstop', 'n = 0\nwhile True:\n    n += 1\n    print("busy", n)\n'],
  ])('interrupts a main.py that %s and uploads', async (_what, main) => {
    const tb = testBoard({ files: { 'main.py': main } });
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    expectProgramOnBoard(tb, s);
  });

  it('detects MicroPython already on the board ("just upload"), and the upload then works', async () => {
    const tb = testBoard({ files: { 'main.py': 'import time\nwhile True:\n    time.sleep_ms(50)\n' } });
    const info = await detectMicroPython(tb.board.port);
    expect(info).toEqual({ platform: 'esp8266', release: '1.27.0', machine: 'ESP module with ESP8266', hasLampProgram: false });
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    expectProgramOnBoard(tb, s);
    expect((await detectMicroPython(tb.board.port))?.hasLampProgram).toBe(true);
  });

  it('detectMicroPython says null, in bounded time, when no MicroPython answers', async () => {
    const tb = testBoard();
    tb.board.reset({ download: true });
    const started = Date.now();
    expect(await detectMicroPython(tb.board.port, { timeoutMs: 1500 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('finishes a verified .tmp left by a power cut inside a FAT rename', async () => {
    const tb = testBoard({ mpy: { fs: 'fat' }, files: OLD });
    const s = settings();
    const ac = new AbortController();
    const cut = tb.mpy.cutPowerOnNextRename().then(() => ac.abort());
    const first = await provisionLamp(tb.board.port, lampProgram(s), { restart: false, signal: ac.signal }).catch((e: unknown) => e);
    await cut;
    expect(first).toBeInstanceOf(UploadError);
    // FAT removed the target, then the power went: wifi.py is gone, its verified .tmp is there.
    expect(tb.file('wifi.py')).toBeUndefined();
    expect(tb.file('wifi.py.tmp')).toEqual(repoBytes('wifi.py'));
    tb.board.reset();
    const ev = events();
    const again = await provisionLamp(tb.board.port, lampProgram(s), { restart: false, onEvent: ev.on });
    const plan = ev.list.find((e) => e.state === 'plan');
    expect(plan?.state === 'plan' && plan.files.find((f) => f.name === 'wifi.py')?.action).toBe('finish');
    expect(again.upload.finished).toContain('wifi.py');
    expect(again.upload.written).not.toContain('wifi.py');
    expectProgramOnBoard(tb, s);
  });

  it('firmware without raw-paste: the chunked raw REPL uploads the same bytes', async () => {
    const tb = testBoard({ rawPaste: false });
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    expectProgramOnBoard(tb, s);
  });

  /**
   * Upload with a fault on the wire toward the board from the first attempt at `file` until the
   * board has all of that attempt (its random source has a fixed seed: the same bytes every run).
   */
  async function uploadThroughFault(tb: TestBoard, s: LampSettings, file: string, fault: () => void) {
    const ev = events();
    let armed = false;
    const result = await provisionLamp(tb.board.port, lampProgram(s), {
      restart: false,
      onEvent: (e) => {
        ev.on(e);
        if (!armed && e.state === 'writing' && e.file === file) {
          armed = true;
          fault();
        }
        if (e.state === 'verifying' || e.state === 'retrying') tb.board.faults.clear();
      },
    });
    return { result, retries: ev.list.filter((e) => e.state === 'retrying') };
  }

  it('flipped bits on the link are caught by the sha256 check and the retry succeeds', async () => {
    const tb = testBoard({ files: OLD });
    const s = settings();
    const { result, retries } = await uploadThroughFault(tb, s, 'mqtt.py', () => tb.board.faults.flip({ direction: 'toBoard', rate: 1 / 4000 }));
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries).toEqual([{ state: 'retrying', file: 'mqtt.py', reason: 'sha-mismatch', detail: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }]);
    expect(result.upload.written).toEqual([...FIRMWARE, 'config.json']);
    expectProgramOnBoard(tb, s);
  });

  it('dropped bytes are caught by the sha256 check too', async () => {
    const tb = testBoard({ files: OLD });
    const s = settings();
    const { result, retries } = await uploadThroughFault(tb, s, 'wifi.py', () => tb.board.faults.drop({ direction: 'toBoard', rate: 1 / 4000 }));
    expect(retries).toMatchObject([{ file: 'wifi.py', reason: 'sha-mismatch' }]);
    expect(result.upload.written).toEqual([...FIRMWARE, 'config.json']);
    expectProgramOnBoard(tb, s);
  });

  it('a link that goes silent mid-file is a link error: recovered, retried, uploaded', async () => {
    const tb = testBoard({ files: OLD });
    const s = settings();
    const ev = events();
    let armed = false;
    const result = await provisionLamp(tb.board.port, lampProgram(s), {
      restart: false,
      onEvent: (e) => {
        ev.on(e);
        // Nothing the board says reaches us any more: the next step's answer times out.
        if (!armed && e.state === 'writing' && e.file === 'mqtt.py' && e.progress.done > 0) {
          armed = true;
          tb.board.faults.stall('toHost');
        }
        if (e.state === 'retrying') tb.board.faults.clear();
      },
    });
    expect(ev.list.filter((e) => e.state === 'retrying')).toMatchObject([{ file: 'mqtt.py', reason: 'link-error' }]);
    expect(result.upload.written).toEqual([...FIRMWARE, 'config.json']);
    expectProgramOnBoard(tb, s);
  }, 30_000);

  it('a link that keeps flipping bits fails verify-failed after one retry, the old files intact', async () => {
    const tb = testBoard({ files: OLD });
    const ev = events();
    let armed = false;
    const err = await provisionLamp(tb.board.port, lampProgram(settings()), {
      restart: false,
      onEvent: (e) => {
        ev.on(e);
        if (!armed && e.state === 'writing' && e.file === 'mqtt.py') {
          armed = true;
          tb.board.faults.flip({ direction: 'toBoard', rate: 1 / 4000 });
        }
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ code: 'verify-failed', file: 'mqtt.py' });
    expect(ev.list.filter((e) => e.state === 'retrying')).toHaveLength(1);
    for (const [name, text] of Object.entries(OLD)) expect(new TextDecoder().decode(tb.file(name)), name).toBe(text);
  });

  it('unplugged mid-upload: the old files are intact', async () => {
    const tb = testBoard({ files: { ...OLD, ...NOT_OURS } });
    const s = settings();
    const err = await provisionLamp(tb.board.port, lampProgram(s), {
      restart: false,
      onEvent: (e) => {
        if (e.state === 'writing' && e.file === 'mqtt.py' && e.progress.done > 4000) tb.board.faults.unplug();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).code).toBe('unplugged');
    for (const [name, text] of Object.entries({ ...OLD, ...NOT_OURS })) expect(new TextDecoder().decode(tb.file(name)), name).toBe(text);
    // Plugged back in, the next upload completes (wifi.py's verified .tmp needs no rewrite).
    tb.board.faults.replug();
    const ev = events();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false, onEvent: ev.on });
    expectProgramOnBoard(tb, s);
    const plan = ev.list.find((e) => e.state === 'plan');
    expect(plan?.state === 'plan' && plan.files.find((f) => f.name === 'wifi.py')?.action).toBe('finish');
  });

  it('carries every byte value exactly (the escaped bytes literal is binary-safe), in both REPL modes', async () => {
    const all = new Uint8Array(1024).map((_, i) => (i * 7) & 0xff);
    for (const rawPaste of [true, false]) {
      const tb = testBoard({ rawPaste });
      await provisionLamp(tb.board.port, [{ name: 'blob.bin', bytes: all }], { restart: false, chunkSize: 300 });
      expect(tb.file('blob.bin')).toEqual(all);
    }
  });

  it('cancelled mid-upload: a cancelled error, the old files intact, and the next upload works', async () => {
    const tb = testBoard({ files: OLD });
    const ac = new AbortController();
    const err = await provisionLamp(tb.board.port, lampProgram(settings()), {
      restart: false,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.state === 'writing' && e.file === 'main.py' && e.progress.done > 0) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).code).toBe('cancelled');
    for (const [name, text] of Object.entries(OLD)) expect(new TextDecoder().decode(tb.file(name)), name).toBe(text);
    // The board was left in the middle of a raw-paste; the next upload gets through anyway.
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    expectProgramOnBoard(tb, s);
  });

  it('uploads to an ESP32 too', async () => {
    const tb = testBoard({ chip: 'esp32' });
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    expectProgramOnBoard(tb, s);
  });

  it('re-upload with only the settings changed writes only config.json', async () => {
    const tb = testBoard();
    const s = settings();
    await provisionLamp(tb.board.port, lampProgram(s), { restart: false });
    const changed = settings({ password: 'another password' });
    const ev = events();
    const again = await provisionLamp(tb.board.port, lampProgram(changed), { restart: false, onEvent: ev.on });
    expect(again.upload.written).toEqual(['config.json']);
    expect(again.upload.skipped).toEqual([...FIRMWARE]);
    expect(again.upload.bytes).toBe(configJsonBytes(changed).length);
    expectProgramOnBoard(tb, changed);
    // Nothing changed at all: nothing is written.
    const third = await provisionLamp(tb.board.port, lampProgram(changed), { restart: false });
    expect(third.upload.written).toEqual([]);
  });
});

describe('after the upload: the boot log', () => {
  const program = (s: LampSettings): ProgramFile[] => lampProgram(s);

  it('follows wifi and mqtt to online against a real broker', async () => {
    const broker = new TestBroker();
    await broker.start();
    try {
      const s = settings({ ssid: 'rumah', password: 'rahasia123' });
      s.broker.port = broker.tcpPort;
      const tb = testBoard({ accessPoints: [{ ssid: 'rumah', password: 'rahasia123' }] });
      const ev = events();
      const result = await provisionLamp(tb.board.port, program(s), { onEvent: ev.on, timeoutMs: 30_000 });
      expect(result.boot).toEqual({ online: true, ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) as unknown });
      const logs = ev.list.flatMap((e) => (e.state === 'log' ? [`${e.log.part} ${e.log.word}`] : []));
      expect(logs).toEqual(['config ok', 'wifi connecting', 'wifi ok', 'mqtt connecting', 'mqtt ok']);
      expect(ev.list[ev.list.length - 1]).toEqual({ state: 'online', ip: result.boot?.online ? result.boot.ip : '' });
    } finally {
      await broker.stop();
    }
  });

  it('a program that prints no log line in time ends with no-log', async () => {
    const tb = testBoard({ files: { 'main.py': 'import time\nwhile True:\n    time.sleep_ms(100)\n' } });
    const repl = await Repl.open(tb.board.port);
    try {
      await repl.enterRawRepl();
      await repl.runMain();
      const started = Date.now();
      expect(await followBoot(repl, { timeoutMs: 1000 })).toEqual({ online: false, hint: 'no-log' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await repl.close();
    }
  });

  it.each([
    ['wrong-password', [{ ssid: 'rumah', password: 'the right one' }]],
    ['no-ap', []],
  ] as const)('a Wi-Fi failure ends with the hint %s', async (hint, aps) => {
    const s = settings({ ssid: 'rumah', password: 'rahasia123' });
    const tb = testBoard({ accessPoints: aps.map((a) => ({ ...a })) });
    const result = await provisionLamp(tb.board.port, program(s), { timeoutMs: 30_000 });
    expect(result.boot).toMatchObject({ online: false, hint, log: { part: 'wifi', word: 'error', reason: hint } });
  });

  it('a broker that refuses ends with broker-refused', async () => {
    const s = settings({ ssid: 'rumah', password: 'rahasia123' });
    s.broker.port = 1; // nothing listens there: ECONNREFUSED
    const tb = testBoard({ accessPoints: [{ ssid: 'rumah', password: 'rahasia123' }] });
    const result = await provisionLamp(tb.board.port, program(s), { timeoutMs: 30_000 });
    expect(result.boot).toMatchObject({ online: false, hint: 'broker-refused' });
  });
});

describe('scanWifi', () => {
  it('lists the networks the board sees, strongest first, names intact', async () => {
    const tb = testBoard({ accessPoints: [{ ssid: 'rumah', password: 'x'.repeat(8) }, { ssid: 'Kopi "Sore" café', password: 'y'.repeat(8) }] });
    const nets = await scanWifi(tb.board.port);
    expect(nets.map((n) => n.ssid).sort()).toEqual(['Kopi "Sore" café', 'rumah']);
    for (let i = 1; i < nets.length; i++) expect(nets[i - 1]!.rssi).toBeGreaterThanOrEqual(nets[i]!.rssi);
  });
});
