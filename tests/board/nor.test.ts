// NOR-flash truth through the stub: FLASH_BEGIN erases only the sectors it will write, so a short
// image over a longer one leaves the old bytes past its last sector; erase-all first wipes them.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { boardPerTest, loaderFor, within } from './esptool-harness.ts';
import { NorFlash, chipEraseTimeMs, eraseTimeMs } from './flash.ts';
import { buildImage, testImage, type Board } from './index.ts';

const md5 = (d: Uint8Array): string => createHash('md5').update(d).digest('hex');

let board: Board | undefined;
const newBoard = boardPerTest();

describe('NOR flash model', () => {
  it('programming only clears bits; erase sets 0xFF', () => {
    const f = new NorFlash(512 * 1024);
    f.program(0x10, Uint8Array.of(0xf0, 0x0f));
    f.program(0x10, Uint8Array.of(0x3c, 0xff));
    expect(Array.from(f.read(0x10, 2))).toEqual([0x30, 0x0f]);
    f.erase(0x10, 1);
    expect(f.isBlank(0, 0x1000)).toBe(true);
    expect(f.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('erase time grows with size (64 KB blocks where aligned, 4 KB sectors elsewhere)', () => {
    expect(eraseTimeMs(0, 0x1000)).toBe(45);
    expect(eraseTimeMs(0, 0x10000)).toBe(150);
    expect(eraseTimeMs(0x1000, 0x10000)).toBe(16 * 45);
    expect(eraseTimeMs(0, 0x100000)).toBe(16 * 150);
    expect(chipEraseTimeMs(4 << 20)).toBe(10_000);
    expect(chipEraseTimeMs(16 << 20)).toBe(4 * chipEraseTimeMs(4 << 20));
  });

  it('rejects sizes outside 512KB..16MB', () => {
    expect(() => new NorFlash(256 * 1024)).toThrow(RangeError);
    expect(() => new NorFlash(32 << 20)).toThrow(RangeError);
  });
});

describe('short image over a long one', () => {
  it('keeps old bytes past the last sector written; erase-all wipes them', { timeout: 60_000 }, async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.05 });
    const b = board;
    const long = testImage('esp8266');
    b.flash.preload(0, long);
    const short = buildImage({
      chip: 'esp8266',
      entry: 0x40100004,
      segments: [{ addr: 0x40100000, data: new Uint8Array(0x2ff0).fill(0x5a) }],
    });
    const lastSectorEnd = Math.ceil(short.length / 0x1000) * 0x1000;
    expect(lastSectorEnd).toBeLessThan(long.length);

    const { loader, transport } = loaderFor(b, 921600);
    await within(20_000, loader.main());
    const write = (eraseAll: boolean): Promise<void> =>
      within(30_000, loader.writeFlash({
        fileArray: [{ data: short, address: 0 }],
        flashSize: 'keep',
        flashMode: 'keep',
        flashFreq: 'keep',
        eraseAll,
        compress: true,
        calculateMD5Hash: md5,
      }));

    await write(false);
    expect(md5(b.flash.read(0, short.length))).toBe(md5(short));
    // the rest of the last sector was erased, not kept
    expect(b.flash.isErased(short.length, lastSectorEnd - short.length)).toBe(true);
    // everything after that sector is the old image
    expect(md5(b.flash.read(lastSectorEnd, long.length - lastSectorEnd))).toBe(md5(long.subarray(lastSectorEnd)));

    await write(true);
    expect(md5(b.flash.read(0, short.length))).toBe(md5(short));
    expect(b.flash.isErased(short.length, b.flash.size - short.length)).toBe(true);
    await transport.disconnect();
  });
});
