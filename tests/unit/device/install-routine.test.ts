// The install routine (src/device/install-routine.ts) against the virtual board: real esptool-js,
// real MicroPython, a real broker. One test per path: a fresh board to online, a board already on
// MicroPython, refusals before the erase, unplugs, cancel in each phase, and a native-USB port
// that comes back as a new port after the reset (simulated at the port-picker level).
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBoard, testImage, type Board, type BoardOptions, type ChipName } from '../../board/index.ts';
import { micropythonApp } from '../../board/micropython/index.ts';
import {
  InstallError,
  isWriting,
  runInstall,
  type FirmwareChoice,
  type InstallChoices,
  type InstallOptions,
  type InstallResult,
  type InstallState,
  type PortSource,
} from '../../../src/device/install-routine.ts';
import { BoardPort, type SerialPortInfo, type SerialPortLike } from '../../../src/device/port.ts';
import { lampProgram } from '../../../src/device/lamp-program.ts';
import { defaultSettings, type LampSettings } from '../../../src/lamp/settings.ts';
import { TestBroker } from '../lamp/harness.ts';
import { testBoard } from './repl-board.ts';

const WIFI = { ssid: 'Rumah Suko', password: 'sooko9999' };
const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');

let broker: TestBroker;
beforeAll(async () => {
  broker = new TestBroker();
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});

const boards: Board[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((b) => b.close()));
});

function freshBoard(chip: ChipName, extra: Partial<BoardOptions> = {}): Board {
  const b = createBoard({ chip, flashSize: '4MB', timeScale: 0.05, app: micropythonApp, accessPoints: [WIFI], ...extra });
  boards.push(b);
  return b;
}

function lamp(chip: LampSettings['chip']): LampSettings {
  const s = defaultSettings({ chip });
  s.wifi = { ...WIFI };
  s.broker.host = '127.0.0.1';
  s.broker.port = broker.tcpPort;
  return s;
}

/** One port, as the page has it when the person connected a board. */
function onePort(raw: SerialPortLike): PortSource & { chosenAgain: SerialPortInfo[] } {
  const chosenAgain: SerialPortInfo[] = [];
  return {
    chosenAgain,
    take: () => Promise.resolve(new BoardPort(raw)),
    reappeared: () => Promise.resolve(undefined),
    chooseAgain: (info) => {
      chosenAgain.push(info);
      return Promise.resolve(new BoardPort(raw));
    },
  };
}

interface Asked {
  micropython: number;
  firmware: number;
  confirm: number;
  program: number;
}

/** The person's answers: flash `image` (erase all), confirm, upload the lamp program for `chip`. */
function person(image: Uint8Array | undefined, chip: LampSettings['chip'], over: Partial<InstallChoices> = {}): InstallChoices & { asked: Asked } {
  const asked: Asked = { micropython: 0, firmware: 0, confirm: 0, program: 0 };
  return {
    asked,
    onMicroPython: () => {
      asked.micropython++;
      return Promise.resolve('upload');
    },
    chooseFirmware: (): Promise<FirmwareChoice> => {
      asked.firmware++;
      return Promise.resolve({ image: () => image ?? new Uint8Array(0), eraseAll: true, backup: false });
    },
    confirmErase: () => {
      asked.confirm++;
      return Promise.resolve(true);
    },
    lampProgram: () => {
      asked.program++;
      return Promise.resolve(lampProgram(lamp(chip)));
    },
    ...over,
  };
}

async function run(options: Omit<InstallOptions, 'onState'>, onState?: (s: InstallState) => void): Promise<{ result: InstallResult; states: InstallState[] }> {
  const states: InstallState[] = [];
  const result = await runInstall({
    detectTimeoutMs: 1500,
    bootTimeoutMs: 45_000,
    ...options,
    onState: (s) => {
      states.push(s);
      onState?.(s);
    },
  });
  return { result, states };
}

const names = (states: InstallState[]) => [...new Set(states.map((s) => s.state))];

describe('a fresh board: flash → upload → online', () => {
  for (const chip of ['esp8266', 'esp32'] as const) {
    it(`${chip}`, { timeout: 180_000 }, async () => {
      const b = freshBoard(chip);
      const image = testImage(chip);
      const choices = person(image, chip);
      const { result, states } = await run({ ports: onePort(b.port), choices });
      expect(result, JSON.stringify(result)).toMatchObject({ state: 'online' });
      expect(names(states)).toEqual([
        'choosing-port', 'detecting', 'connecting', 'choosing-firmware', 'checking-image', 'confirming',
        'erasing', 'writing', 'verifying', 'resetting', 'settings', 'uploading', 'booting', 'online',
      ]);
      const connecting = states.find((s) => s.state === 'connecting');
      // Why it went to the bootloader is said, not swallowed.
      expect(connecting).toMatchObject({ noMicroPython: { code: expect.any(String) as unknown } });
      expect(choices.asked).toEqual({ micropython: 0, firmware: 1, confirm: 1, program: 1 });
      const settings = states.find((s) => s.state === 'settings');
      expect(settings).toMatchObject({ chip, flashed: { backup: false } });
      if (result.state === 'online') expect(result.so.logs.map((l) => `${l.part} ${l.word}`)).toContain('mqtt ok');
      // The port is given back closed.
      expect(b.port.readable).toBeNull();
      await b.gpio.waitFor(2, chip === 'esp8266' ? 1 : 0, 5_000);
    });
  }
});

describe('a board already on MicroPython', () => {
  it('just uploads: nothing flashed, online', { timeout: 120_000 }, async () => {
    const tb = testBoard({ accessPoints: [WIFI] });
    const before = md5(tb.board.flash.read(0, 0x80000));
    const choices = person(undefined, 'esp8266');
    const { result, states } = await run({ ports: onePort(tb.board.port), choices });
    expect(result.state).toBe('online');
    expect(names(states)).toEqual(['choosing-port', 'detecting', 'micropython', 'settings', 'uploading', 'booting', 'online']);
    expect(choices.asked).toEqual({ micropython: 1, firmware: 0, confirm: 0, program: 1 });
    // The firmware region is untouched (the files live further up).
    expect(md5(tb.board.flash.read(0, 0x80000))).toBe(before);
    expect(tb.board.port.readable).toBeNull();
  });

  it('"flash anyway" goes to the bootloader from the same port', { timeout: 120_000 }, async () => {
    const tb = testBoard({ accessPoints: [WIFI] });
    const choices = person(testImage('esp8266'), 'esp8266', {
      onMicroPython: () => Promise.resolve('flash'),
      lampProgram: () => Promise.reject(new InstallError('cancelled')),
    });
    const { result, states } = await run({ ports: onePort(tb.board.port), choices });
    expect(names(states)).toContain('writing');
    expect(result).toEqual({ state: 'cancelled', during: 'settings' });
  });
});

describe('refused before anything is erased', () => {
  const cases = [
    { what: 'an ESP32 image on an ESP8266', chip: 'esp8266' as const, flashSize: '4MB', image: () => testImage('esp32'), code: 'wrong-chip' },
    { what: 'an ESP8266 image on an ESP32', chip: 'esp32' as const, flashSize: '4MB', image: () => testImage('esp8266'), code: 'wrong-chip' },
    { what: 'an image bigger than the flash', chip: 'esp8266' as const, flashSize: '512KB', image: () => testImage('esp8266'), code: 'too-big' },
  ];
  for (const c of cases) {
    it(`${c.what}: ${c.code}, never asked to confirm, the flash byte for byte`, { timeout: 90_000 }, async () => {
      const b = freshBoard(c.chip, { flashSize: c.flashSize });
      const pattern = new Uint8Array(b.flash.size);
      for (let i = 0; i < pattern.length; i += 997) pattern[i] = i & 0xff;
      b.flash.preload(0, pattern);
      const before = md5(b.flash.read(0, b.flash.size));
      const choices = person(c.image(), c.chip);
      const { result, states } = await run({ ports: onePort(b.port), choices });
      expect(result).toMatchObject({ state: 'failed', during: 'flash', problem: { code: c.code } });
      expect(choices.asked.confirm).toBe(0);
      expect(states.some(isWriting)).toBe(false);
      expect(md5(b.flash.read(0, b.flash.size))).toBe(before);
      expect(b.port.readable).toBeNull();
    });
  }
});

describe('unplugged', () => {
  it('mid-write: a clear "unplugged", the port released, and the next run works', { timeout: 240_000 }, async () => {
    const b = freshBoard('esp8266');
    let pulled = false;
    const first = await run({ ports: onePort(b.port), choices: person(testImage('esp8266'), 'esp8266') }, (s) => {
      if (!pulled && s.state === 'writing' && s.progress.done > s.progress.total / 3) {
        pulled = true;
        b.faults.unplug();
      }
    });
    expect(pulled).toBe(true);
    expect(first.result).toMatchObject({ state: 'failed', during: 'flash', error: { name: 'FlashError', code: 'unplugged' } });
    expect(b.port.readable).toBeNull();
    b.faults.replug();
    const again = await run({ ports: onePort(b.port), choices: person(testImage('esp8266'), 'esp8266') });
    expect(again.result.state, JSON.stringify(again.result)).toBe('online');
  });

  it('mid-upload: a clear "unplugged", the port released, and an upload again works', { timeout: 240_000 }, async () => {
    const tb = testBoard({ accessPoints: [WIFI] });
    let pulled = false;
    const first = await run({ ports: onePort(tb.board.port), choices: person(undefined, 'esp8266') }, (s) => {
      if (!pulled && s.state === 'uploading' && s.progress && s.progress.done > 2000) {
        pulled = true;
        tb.board.faults.unplug();
      }
    });
    expect(pulled).toBe(true);
    expect(first.result).toMatchObject({ state: 'failed', during: 'upload', error: { name: 'UploadError', code: 'unplugged' } });
    expect(tb.board.port.readable).toBeNull();
    tb.board.faults.replug();
    // "Upload again": the same files, no questions.
    const choices = person(undefined, 'esp8266');
    const again = await run({ ports: onePort(tb.board.port), choices, upload: lampProgram(lamp('esp8266')) });
    expect(again.result.state).toBe('online');
    expect(choices.asked).toEqual({ micropython: 0, firmware: 0, confirm: 0, program: 0 });
  });
});

describe('cancel', () => {
  // Each phase of a fresh board's journey, and of a board already on MicroPython.
  const fresh: { at: InstallState['state']; during: string; after?: (s: InstallState) => boolean }[] = [
    { at: 'detecting', during: 'detect' },
    { at: 'connecting', during: 'flash' },
    { at: 'choosing-firmware', during: 'flash' },
    { at: 'confirming', during: 'flash' },
    { at: 'erasing', during: 'flash' },
    { at: 'writing', during: 'flash', after: (s) => s.state === 'writing' && s.progress.done > s.progress.total / 4 },
    { at: 'settings', during: 'settings' },
  ];
  for (const c of fresh) {
    it(`while ${c.at}: "cancelled" during ${c.during}, the port released, and the next run works`, { timeout: 180_000 }, async () => {
      const b = freshBoard('esp8266');
      const ctl = new AbortController();
      const wait = new Promise<never>(() => undefined);
      // The person takes their time where they are asked, so cancel finds the routine waiting.
      const choices = person(testImage('esp8266'), 'esp8266', {
        ...(c.at === 'choosing-firmware' ? { chooseFirmware: () => wait } : {}),
        ...(c.at === 'confirming' ? { confirmErase: () => wait } : {}),
        ...(c.at === 'settings' ? { lampProgram: () => wait } : {}),
      });
      const started = Date.now();
      let cancelledAt = 0;
      const { result } = await run({ ports: onePort(b.port), choices, signal: ctl.signal }, (s) => {
        if (!cancelledAt && s.state === c.at && (c.after?.(s) ?? true)) {
          cancelledAt = Date.now();
          ctl.abort();
        }
      });
      expect(result).toEqual({ state: 'cancelled', during: c.during });
      expect(Date.now() - cancelledAt).toBeLessThan(15_000);
      expect(Date.now() - started).toBeLessThan(120_000);
      await expect.poll(() => b.port.readable, { timeout: 20_000 }).toBeNull();
      // Nothing is stuck: the next run gets to the bootloader or MicroPython and on to the settings.
      const next = await run({ ports: onePort(b.port), choices: person(testImage('esp8266'), 'esp8266', { lampProgram: () => Promise.reject(new InstallError('cancelled')) }) });
      expect(next.result).toEqual({ state: 'cancelled', during: 'settings' });
    });
  }

  for (const at of ['micropython', 'uploading', 'booting'] as const) {
    it(`on a MicroPython board while ${at}: "cancelled", the port released`, { timeout: 120_000 }, async () => {
      const tb = testBoard({ accessPoints: [WIFI] });
      const ctl = new AbortController();
      const choices = person(undefined, 'esp8266', at === 'micropython' ? { onMicroPython: () => new Promise<never>(() => undefined) } : {});
      let cancelled = false;
      const { result } = await run({ ports: onePort(tb.board.port), choices, signal: ctl.signal }, (s) => {
        if (!cancelled && s.state === at) {
          cancelled = true;
          ctl.abort();
        }
      });
      expect(result).toEqual({ state: 'cancelled', during: at === 'micropython' ? 'detect' : at === 'uploading' ? 'upload' : 'boot' });
      await expect.poll(() => tb.board.port.readable, { timeout: 20_000 }).toBeNull();
    });
  }
});

/**
 * Espressif's native USB, simulated where the page meets it: the virtual ESP32 wired as
 * USB-Serial-JTAG (0x303a:0x1001, esptool-js's own reset sequence for it), and after the reset
 * the old port object is gone and a new one stands for the same board. Power-cycling the virtual
 * board stands for the re-enumeration.
 */
class Renumbered implements SerialPortLike {
  constructor(private readonly inner: SerialPortLike) {}
  get readable() {
    return this.inner.readable;
  }
  get writable() {
    return this.inner.writable;
  }
  open(o: Parameters<SerialPortLike['open']>[0]) {
    return this.inner.open(o);
  }
  close() {
    return this.inner.close();
  }
  setSignals(s: Parameters<SerialPortLike['setSignals']>[0]) {
    return this.inner.setSignals(s);
  }
  getInfo(): SerialPortInfo {
    return this.inner.getInfo();
  }
  addEventListener(type: 'disconnect', l: () => void) {
    this.inner.addEventListener?.(type, l);
  }
  removeEventListener(type: 'disconnect', l: () => void) {
    this.inner.removeEventListener?.(type, l);
  }
}

const JTAG = { usbVendorId: 0x303a, usbProductId: 0x1001 };

describe('native USB: the port comes back as a new port after the reset', () => {
  it('found again by its USB ids, without asking', { timeout: 180_000 }, async () => {
    const b = freshBoard('esp32', { resetCircuit: 'usb-serial-jtag' });
    let second: Renumbered | undefined;
    const asked: SerialPortInfo[] = [];
    const ports: PortSource = {
      take: () => Promise.resolve(new BoardPort(b.port)),
      reappeared: (info) => {
        asked.push(info);
        b.faults.unplug();
        b.faults.replug();
        second = new Renumbered(b.port);
        return Promise.resolve(new BoardPort(second));
      },
      chooseAgain: () => Promise.reject(new Error('should not ask')),
    };
    const { result, states } = await run({ ports, choices: person(testImage('esp32'), 'esp32') });
    expect(result.state, JSON.stringify(result)).toBe('online');
    expect(asked).toEqual([JTAG]);
    expect(names(states)).toContain('waiting-for-port');
    expect(names(states)).not.toContain('choose-port-again');
    expect(second).toBeDefined();
  });

  it('not back by itself: the person is asked to choose it again, and the journey goes on', { timeout: 180_000 }, async () => {
    const b = freshBoard('esp32', { resetCircuit: 'usb-serial-jtag' });
    const ports: PortSource & { again: SerialPortInfo[] } = {
      again: [],
      take: () => Promise.resolve(new BoardPort(b.port)),
      reappeared: () => Promise.resolve(undefined),
      chooseAgain(info) {
        this.again.push(info);
        b.faults.unplug();
        b.faults.replug();
        return Promise.resolve(new BoardPort(new Renumbered(b.port)));
      },
    };
    const { result, states } = await run({ ports, choices: person(testImage('esp32'), 'esp32') });
    expect(result.state, JSON.stringify(result)).toBe('online');
    expect(ports.again).toEqual([JTAG]);
    const order = names(states);
    expect(order.indexOf('waiting-for-port')).toBeLessThan(order.indexOf('choose-port-again'));
    expect(order.indexOf('choose-port-again')).toBeLessThan(order.indexOf('settings'));
  });
});

describe('one tab writes at a time', () => {
  it('a guard that refuses stops before the erase, with "other-tab", the flash untouched', { timeout: 90_000 }, async () => {
    const b = freshBoard('esp8266');
    const before = md5(b.flash.read(0, b.flash.size));
    const { result, states } = await run({
      ports: onePort(b.port),
      choices: person(testImage('esp8266'), 'esp8266'),
      guard: { acquire: () => Promise.reject(new InstallError('other-tab')) },
    });
    expect(result).toMatchObject({ state: 'failed', during: 'flash', error: { code: 'other-tab' } });
    expect(states.some(isWriting)).toBe(false);
    expect(md5(b.flash.read(0, b.flash.size))).toBe(before);
  });
});

/**
 * The virtual ESP32-C3 on its own USB-Serial-JTAG, as a real one: esptool-js's USB reset sequence,
 * and after the hard reset the port goes away and a new one with the same ids appears (the board
 * re-enumerates by itself). `reappeared` is what the page does with navigator.serial's `connect`.
 */
function c3Ports(b: Board, opts: { comesBack: boolean }): PortSource & { waited: SerialPortInfo[]; chosen: SerialPortInfo[]; taken: SerialPortLike[] } {
  const waited: SerialPortInfo[] = [];
  const chosen: SerialPortInfo[] = [];
  const taken: SerialPortLike[] = [];
  // Listen from the start: the new port may appear before the routine asks for it.
  let next = b.nextPort(120_000);
  next.catch(() => undefined);
  return {
    waited,
    chosen,
    taken,
    take: () => {
      taken.push(b.port);
      return Promise.resolve(new BoardPort(b.port));
    },
    reappeared: async (info, signal) => {
      waited.push(info);
      if (!opts.comesBack) return undefined;
      const port = await Promise.race([next, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))]);
      next = b.nextPort(120_000);
      next.catch(() => undefined);
      taken.push(port);
      return new BoardPort(port);
    },
    chooseAgain: async (info) => {
      chosen.push(info);
      // The person picks it in the chooser once it is there.
      const port = b.port.connected ? b.port : await next;
      taken.push(port);
      return new BoardPort(port);
    },
  };
}

describe('ESP32-C3 and ESP32-S3: flash → upload → online', () => {
  it('ESP32-C3 on its USB-Serial-JTAG: the port re-enumerates after the reset and is found again by its ids', { timeout: 180_000 }, async () => {
    const b = freshBoard('esp32c3');
    const ports = c3Ports(b, { comesBack: true });
    const choices = person(testImage('esp32c3'), 'esp32c3');
    const { result, states } = await run({ ports, choices });
    expect(result, JSON.stringify(result)).toMatchObject({ state: 'online' });
    expect(names(states)).toEqual([
      'choosing-port', 'detecting', 'connecting', 'choosing-firmware', 'checking-image', 'confirming',
      'erasing', 'writing', 'verifying', 'resetting', 'waiting-for-port', 'settings', 'uploading', 'booting', 'online',
    ]);
    const detected = states.find((s) => s.state === 'choosing-firmware');
    expect(detected).toMatchObject({ board: { chip: 'esp32c3', mac: '34:85:18:3f:9a:2c' } });
    expect(ports.waited).toEqual([JTAG]);
    expect(ports.chosen).toEqual([]);
    // Two port objects: the one flashed through, and the new one the upload went through.
    expect(ports.taken).toHaveLength(2);
    expect(ports.taken[0]).not.toBe(ports.taken[1]);
    expect(ports.taken[1]).toBe(b.port);
    expect(b.flash.read(0, 0x100)).toEqual(testImage('esp32c3').subarray(0, 0x100));
    expect(b.port.readable).toBeNull();
  });

  it('ESP32-C3: not found by itself, the person is asked to choose it again, with its ids', { timeout: 180_000 }, async () => {
    const b = freshBoard('esp32c3');
    const ports = c3Ports(b, { comesBack: false });
    const { result, states } = await run({ ports, choices: person(testImage('esp32c3'), 'esp32c3') });
    expect(result, JSON.stringify(result)).toMatchObject({ state: 'online' });
    expect(ports.chosen).toEqual([JTAG]);
    const order = names(states);
    expect(order.indexOf('waiting-for-port')).toBeLessThan(order.indexOf('choose-port-again'));
    expect(order.indexOf('choose-port-again')).toBeLessThan(order.indexOf('settings'));
    expect(states.find((s) => s.state === 'choose-port-again')).toEqual({ state: 'choose-port-again', info: JTAG });
  });

  it('ESP32-S3 on a USB-UART bridge: one port throughout, image at 0x0', { timeout: 180_000 }, async () => {
    const b = freshBoard('esp32s3');
    const choices = person(testImage('esp32s3'), 'esp32s3');
    const { result, states } = await run({ ports: onePort(b.port), choices });
    expect(result, JSON.stringify(result)).toMatchObject({ state: 'online' });
    expect(names(states)).toEqual([
      'choosing-port', 'detecting', 'connecting', 'choosing-firmware', 'checking-image', 'confirming',
      'erasing', 'writing', 'verifying', 'resetting', 'settings', 'uploading', 'booting', 'online',
    ]);
    expect(states.find((s) => s.state === 'choosing-firmware')).toMatchObject({ board: { chip: 'esp32s3' } });
    expect(states.find((s) => s.state === 'settings')).toMatchObject({ chip: 'esp32s3' });
    expect(b.flash.read(0, 0x100)).toEqual(testImage('esp32s3').subarray(0, 0x100));
  });

  it('an ESP32 image on an ESP32-C3: refused before the erase (wrong chip)', { timeout: 90_000 }, async () => {
    const b = freshBoard('esp32c3');
    const before = md5(b.flash.read(0, b.flash.size));
    const choices = person(testImage('esp32'), 'esp32c3');
    const { result, states } = await run({ ports: c3Ports(b, { comesBack: true }), choices });
    expect(result).toMatchObject({ state: 'failed', during: 'flash', problem: { code: 'wrong-chip' } });
    expect(choices.asked.confirm).toBe(0);
    expect(states.some(isWriting)).toBe(false);
    expect(md5(b.flash.read(0, b.flash.size))).toBe(before);
  });
});
