// src/device/flasher.ts against the virtual board: the real esptool-js underneath, unmodified.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createBoard, eraseTimeMs, testImage, type Board, type ChipName } from '../../board/index.ts';
import { blockStart, FlashError, FlashSession, toFlashError, type ConnectOptions, type DetectedBoard, type FlashEvent } from '../../../src/device/flasher.ts';
import type { SerialPortLike } from '../../../src/device/port.ts';
import { BOOT_OFFSET } from '../../../src/device/image.ts';

const TIME_SCALE = 0.05;

interface FlashOptions extends ConnectOptions {
  eraseAll?: boolean;
  offset?: number;
  onBackup?: (data: Uint8Array) => void | Promise<void>;
}

/**
 * The flash part of the install routine (src/device/install-routine.ts drives FlashSession the
 * same way), in one call, so each test below looks at FlashSession itself: connect, check before
 * anything is erased, back up, write and verify, close with a reset, and one error at the end.
 */
async function flashImage(port: SerialPortLike, image: Uint8Array, options: FlashOptions = {}): Promise<DetectedBoard> {
  let session: FlashSession | undefined;
  try {
    session = await FlashSession.connect(port, options);
    const problem = session.check(image, options.offset);
    if (problem) throw new FlashError('image', problem.code, problem);
    if (options.onBackup) await options.onBackup(await session.backup());
    await session.write(image, options);
    return session.board;
  } catch (err) {
    const e = toFlashError(err);
    options.onEvent?.({ state: 'error', code: e.code, detail: e.detail, ...(e.problem ? { problem: e.problem } : {}) });
    throw e;
  } finally {
    if (session) await session.close({ reset: true });
  }
}

const md5 = (d: Uint8Array) => createHash('md5').update(d).digest('hex');

let boards: Board[] = [];
afterEach(async () => {
  for (const b of boards) await b.close();
  boards = [];
});

function board(chip: ChipName, flashSize: string, extra: Partial<Parameters<typeof createBoard>[0]> = {}): Board {
  const b = createBoard({ chip, flashSize, timeScale: TIME_SCALE, ...extra });
  boards.push(b);
  return b;
}

/** What the flasher writes: the image, with the ESP8266 header's mode and size set from the chip. */
function expectedAt(chip: ChipName, image: Uint8Array, flash: Uint8Array): void {
  const written = flash.subarray(BOOT_OFFSET[chip], BOOT_OFFSET[chip] + image.length);
  if (chip === 'esp8266') {
    // Only header bytes 2 (mode) and 3 (size|freq) may differ, and only as the flasher chose.
    expect(Buffer.from(written.subarray(4))).toEqual(Buffer.from(image.subarray(4)));
    expect(written.subarray(0, 2)).toEqual(image.subarray(0, 2));
  } else {
    expect(md5(written)).toBe(md5(image));
  }
}

describe('flashImage', () => {
  for (const c of [
    { chip: 'esp8266', flashSize: '1MB', sizeNibble: 0x2, mode: 3 },
    { chip: 'esp8266', flashSize: '4MB', sizeNibble: 0x4, mode: 2 },
    { chip: 'esp32', flashSize: '4MB' },
  ] as const) {
    it(`flashes the test image onto a ${c.chip} with ${c.flashSize}, verifies it, and the board boots it`, { timeout: 90_000 }, async () => {
      const b = board(c.chip, c.flashSize);
      b.flash.preload(b.flash.size - 64, new Uint8Array(64).fill(0x42));
      const image = testImage(c.chip);
      const events: FlashEvent[] = [];
      const detected = await flashImage(b.port, image, { onEvent: (e) => events.push(e) });

      expect(detected.chip).toBe(c.chip);
      expect(detected.flashSize).toBe(b.flash.size);
      expect(detected.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(detected.baud).toBe(921600);
      const states = events.map((e) => e.state);
      expect(states[0]).toBe('connecting');
      expect(states).toContain('detected');
      expect(states.indexOf('erasing')).toBeLessThan(states.indexOf('writing'));
      expect(states.indexOf('verifying')).toBeGreaterThan(states.indexOf('writing'));
      expect(states.at(-1)).toBe('done');
      const writes = events.filter((e): e is Extract<FlashEvent, { state: 'writing' }> => e.state === 'writing');
      expect(writes.length).toBeGreaterThan(3);
      expect(writes.at(-1)!.progress.done).toBe(writes.at(-1)!.progress.total);
      expect(writes.at(-2)!.progress.bytesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(writes.at(-2)!.progress.secondsLeft)).toBe(true);

      expectedAt(c.chip, image, b.flash.bytes);
      if (c.chip === 'esp8266') {
        expect(b.flash.bytes[2]).toBe(c.mode);
        expect(b.flash.bytes[3]! >> 4).toBe(c.sizeNibble);
      }
      // "Erase everything first": what was beyond the image is gone.
      expect(b.flash.isErased(b.flash.size - 64, 64)).toBe(true);
      // flashImage resets the board out of the bootloader and it boots what was written.
      await b.waitForState('app', 10_000);
    });
  }

  it('saves a backup equal to the flash as it was before the erase', { timeout: 90_000 }, async () => {
    const b = board('esp8266', '1MB');
    const before = new Uint8Array(b.flash.size);
    for (let i = 0; i < before.length; i += 4096) before[i] = (i / 4096) & 0xff;
    b.flash.preload(0, before);
    let backup: Uint8Array | undefined;
    await flashImage(b.port, testImage('esp8266'), { onBackup: (d) => void (backup = d) });
    expect(backup?.length).toBe(before.length);
    expect(md5(backup!)).toBe(md5(before));
  });
});

describe('over old firmware, without a chip erase', () => {
  it('an ESP32 image at 0x1000 is erased from 0x0 in whole 64 KB blocks; the image is in place and what lies past it is kept', { timeout: 90_000 }, async () => {
    const b = board('esp32', '4MB');
    const image = testImage('esp32');
    // A used ESP32 as it comes: old firmware from 0x1000 on, the first sector blank (the ROM does
    // not use it), and more of the person's data further on.
    const old = new Uint8Array(0x200000).map((_, i) => (i * 13 + 7) & 0xff);
    b.flash.preload(0x1000, old);
    await flashImage(b.port, image, { eraseAll: false });

    expectedAt('esp32', image, b.flash.bytes);
    // The four bytes that made the stub see the first sector as used went with the block erase.
    expect(b.flash.isErased(0, 0x1000)).toBe(true);
    const end = Math.ceil((0x1000 + image.length) / 0x1000) * 0x1000;
    expect(md5(b.flash.read(end, 0x1000 + old.length - end))).toBe(md5(old.subarray(end - 0x1000)));
    // One block erase at 0x0 and blocks from there: not the 15 single sectors up to 0x10000.
    expect(b.flash.stats().eraseMs).toBe(eraseTimeMs(0, end));
    expect(eraseTimeMs(0x1000, end - 0x1000) - eraseTimeMs(0, end)).toBeGreaterThan(400);
    await b.waitForState('app', 10_000);
  });

  it('only the ESP32 and ESP32-S2 boot offset moves: anything written elsewhere starts where it belongs', () => {
    expect(blockStart('esp32', 0x1000)).toBe(0);
    expect(blockStart('esp32s2', 0x1000)).toBe(0);
    expect(blockStart('esp8266', 0x0)).toBe(0);
    expect(blockStart('esp32c3', 0x1000)).toBe(0x1000);
    expect(blockStart('esp32', 0x10000)).toBe(0x10000);
    expect(blockStart('esp32', 0x9000)).toBe(0x9000);
  });
});

describe('refusals before anything is erased', () => {
  const html = new TextEncoder().encode('<!DOCTYPE html><html><head><title>MicroPython - Downloads</title></head><body>…</body></html>');
  const notImage = new Uint8Array(300_000).fill(0x11);
  const cases: { what: string; chip: ChipName; flashSize: string; image: () => Uint8Array; code: string }[] = [
    { what: 'an ESP32 image on an ESP8266', chip: 'esp8266', flashSize: '4MB', image: () => testImage('esp32'), code: 'wrong-chip' },
    { what: 'an ESP8266 image on an ESP32', chip: 'esp32', flashSize: '4MB', image: () => testImage('esp8266'), code: 'wrong-chip' },
    { what: 'an image bigger than the flash', chip: 'esp8266', flashSize: '512KB', image: () => testImage('esp8266'), code: 'too-big' },
    { what: 'a file that is not an image', chip: 'esp8266', flashSize: '4MB', image: () => notImage, code: 'not-an-image' },
    { what: 'a saved HTML page', chip: 'esp8266', flashSize: '4MB', image: () => html, code: 'html' },
    { what: 'an empty file', chip: 'esp8266', flashSize: '4MB', image: () => new Uint8Array(0), code: 'empty' },
  ];
  for (const c of cases) {
    it(`refuses ${c.what} and leaves the flash byte for byte`, { timeout: 60_000 }, async () => {
      const b = board(c.chip, c.flashSize);
      const before = new Uint8Array(b.flash.size);
      for (let i = 0; i < before.length; i += 997) before[i] = i & 0xff;
      b.flash.preload(0, before);
      const events: FlashEvent[] = [];
      const err = await flashImage(b.port, c.image(), { onEvent: (e) => events.push(e) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FlashError);
      expect((err as FlashError).code).toBe('image');
      expect((err as FlashError).problem?.code).toBe(c.code);
      expect(events.at(-1)).toMatchObject({ state: 'error', code: 'image' });
      expect(events.some((e) => e.state === 'erasing' || e.state === 'writing')).toBe(false);
      expect(md5(b.flash.read(0, b.flash.size))).toBe(md5(before));
      // The port was given back closed.
      expect(b.port.readable).toBeNull();
    });
  }
});

describe('when things go wrong', () => {
  it('cancel mid-write: stops at once with "cancelled" and closes the port', { timeout: 60_000 }, async () => {
    const b = board('esp8266', '4MB');
    const ctl = new AbortController();
    const started = Date.now();
    const err = await flashImage(b.port, testImage('esp8266'), {
      signal: ctl.signal,
      onEvent: (e) => {
        if (e.state === 'writing' && e.progress.done > e.progress.total / 4) ctl.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(b.port.readable).toBeNull();
    // The board can be flashed again right away.
    const again = await flashImage(b.port, testImage('esp8266'));
    expect(again.chip).toBe('esp8266');
  });

  it('unplug mid-write: an "unplugged" error, no hang', { timeout: 60_000 }, async () => {
    const b = board('esp8266', '4MB');
    let pulled = false;
    const err = await flashImage(b.port, testImage('esp8266'), {
      onEvent: (e) => {
        if (!pulled && e.state === 'writing' && e.progress.done > e.progress.total / 3) {
          pulled = true;
          b.faults.unplug();
        }
      },
    }).catch((e: unknown) => e);
    expect(pulled).toBe(true);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as FlashError).code, (err as FlashError).detail).toBe('unplugged');
    expect(b.port.readable).toBeNull();
  });

  it('falls back to a slower baud when 921600 garbles on the link, and finishes', { timeout: 90_000 }, async () => {
    const b = board('esp8266', '1MB', { maxBaud: 460800 });
    const session = await FlashSession.connect(b.port);
    try {
      expect(session.board.baud).toBe(460800);
      await session.write(testImage('esp8266'));
    } finally {
      await session.close();
    }
    expectedAt('esp8266', testImage('esp8266'), b.flash.bytes);
  });

  it('a board whose DTR/RTS do not reach EN/IO0 gives "no-bootloader" (hold BOOT)', { timeout: 90_000 }, async () => {
    const b = board('esp8266', '4MB', { autoReset: false });
    const err = await FlashSession.connect(b.port, { attempts: 2 }).catch((e: unknown) => e);
    expect((err as FlashError).code).toBe('no-bootloader');
    expect(b.port.readable).toBeNull();
  });
});

describe('a link that stops moving', () => {
  it('a write whose bytes stop reaching the board ends in "timeout" within the stall limit', { timeout: 60_000 }, async () => {
    const b = board('esp8266', '4MB');
    let stalled = false;
    const started = Date.now();
    let stalledAt = 0;
    const err = await flashImage(b.port, testImage('esp8266'), {
      stallTimeoutMs: 3000,
      onEvent: (e) => {
        if (!stalled && e.state === 'writing' && e.progress.done > e.progress.total / 4) {
          stalled = true;
          stalledAt = Date.now();
          b.faults.stall('toBoard');
        }
      },
    }).catch((e: unknown) => e);
    expect(stalled).toBe(true);
    expect((err as FlashError).code).toBe('timeout');
    // Bounded: the stall limit, plus closing the port, not esptool-js waiting forever.
    expect(Date.now() - stalledAt).toBeLessThan(20_000);
    expect(Date.now() - started).toBeLessThan(50_000);
    // The stuck write holds the port until the line moves again; then the port is closed.
    b.faults.clear();
    await expect.poll(() => b.port.readable, { timeout: 20_000 }).toBeNull();
  });
});

describe('a verify as slow as a chip', () => {
  it('the stub hashing 4 MB for longer than the stall limit is not a stall, and esptool-js waits for it', { timeout: 90_000 }, async () => {
    // A whole-flash image (the test image, then erased bytes): the MD5 covers all 4 MB. The MD5 is
    // made slower than the model (50 s per MB, scaled: 10 s for 4 MB, within esptool-js's 8 s per
    // MB) to outlast the stall limit.
    const b = board('esp8266', '4MB', { md5MsPerMb: 50_000 });
    const image = new Uint8Array(b.flash.size).fill(0xff);
    image.set(testImage('esp8266'), 0);
    const stallTimeoutMs = 5000;
    let verifyingAt = 0;
    let doneAt = 0;
    await flashImage(b.port, image, {
      stallTimeoutMs,
      onEvent: (e) => {
        if (e.state === 'verifying') verifyingAt = performance.now();
        if (e.state === 'done') doneAt = performance.now();
      },
    });
    expect(verifyingAt).toBeGreaterThan(0);
    // The verify really took the chip's time (a free MD5 would be done at once) …
    expect(doneAt - verifyingAt).toBeGreaterThan(stallTimeoutMs);
    // … and what it checked is what was written.
    expect(md5(b.flash.read(0x10, b.flash.size - 0x10))).toBe(md5(image.subarray(0x10)));
  });
});
