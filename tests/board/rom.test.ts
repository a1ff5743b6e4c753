// The ROM loaders without the stub: what each really supports, and their exact answers.
import { createHash } from 'node:crypto';
import { UnsupportedCommandError } from 'esptool-js';
import { describe, expect, it } from 'vitest';
import { boardPerTest, loaderFor, within } from './esptool-harness.ts';
import { testImage, type Board } from './index.ts';
import { RawClient, SYNC_DATA, words } from './raw-client.ts';
import { esp8266RomEraseSectors } from './rom.ts';

let board: Board | undefined;
const newBoard = boardPerTest();

describe('ROM loader (no stub)', () => {
  it('ESP8266: esptool-js writes uncompressed at 115200 through the ROM', { timeout: 60_000 }, async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.02 });
    const b = board;
    // A marker just past the image, inside what the ROM's FLASH_BEGIN erase bug also wipes.
    const image = testImage('esp8266');
    const bugEnd = esp8266RomEraseSectors(0, image.length) * 0x1000;
    expect(bugEnd).toBeGreaterThan(image.length + 0x1000);
    b.flash.preload(bugEnd - 0x1000, new Uint8Array(16).fill(0x11));
    b.flash.preload(bugEnd, new Uint8Array(16).fill(0x22));

    const { loader, transport, log } = loaderFor(b, 115200);
    await within(20_000, loader.detectChip('default_reset'));
    expect(loader.chip.CHIP_NAME).toBe('ESP8266');
    expect(loader.IS_STUB).toBe(false);
    await within(45_000, loader.writeFlash({
      fileArray: [{ data: image, address: 0 }],
      flashSize: 'keep',
      flashMode: 'keep',
      flashFreq: 'keep',
      eraseAll: false,
      compress: false,
    }));
    expect(log.text).toContain('Took');
    expect(b.state).toBe('download');
    const written = b.flash.read(0, image.length);
    expect(createHash('md5').update(written).digest('hex')).toBe(createHash('md5').update(image).digest('hex'));
    // The ROM erased n + head sectors for n requested (esptool's get_erase_size works around it;
    // esptool-js does not), so the first marker is gone and the one beyond survives.
    expect(b.flash.isErased(bugEnd - 0x1000, 16)).toBe(true);
    expect(b.flash.read(bugEnd, 16)).toEqual(new Uint8Array(16).fill(0x22));
    await transport.disconnect();
  });

  it('ESP8266: a stub-only command gets the ROM answer esptool-js reads as unsupported', { timeout: 30_000 }, async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.05 });
    const { loader, transport } = loaderFor(board, 115200);
    await within(20_000, loader.detectChip('default_reset'));
    await expect(within(10_000, loader.eraseFlash())).rejects.toBeInstanceOf(UnsupportedCommandError);
    // The ROM is still there and answers what it knows.
    expect((await loader.readReg(0x40001000)) >>> 0).toBe(0xfff0c101);
    await transport.disconnect();
  });

  it('ESP8266: unknown commands are answered eight times with error 0x05 under another command byte', async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.05 });
    const raw = new RawClient(board);
    await raw.openInDownloadMode();
    await raw.send(0x08, SYNC_DATA);
    const syncs = await raw.replies(8, 3000);
    expect(syncs).toHaveLength(8);
    for (const r of syncs) {
      expect(r.op).toBe(0x08);
      expect(r.value).toBe(0x20120707);
      expect(Array.from(r.body)).toEqual([0, 0]);
    }
    // FLASH_DEFL_BEGIN, SPI_FLASH_MD5, CHANGE_BAUDRATE, ERASE_FLASH, READ_FLASH: not in this ROM
    for (const op of [0x10, 0x13, 0x0f, 0xd0, 0xd2]) {
      await raw.send(op, words(0, 0, 0, 0));
      const rs = await raw.replies(8, 3000);
      expect(rs).toHaveLength(8);
      for (const r of rs) {
        expect(r.op).not.toBe(op);
        expect(Array.from(r.body)).toEqual([1, 0x05]);
      }
      expect(await raw.drain(50)).toHaveLength(0);
    }
    await raw.close();
  });

  it('ESP32: the ROM changes baud, inflates a compressed write and answers MD5 in hex text', { timeout: 60_000 }, async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05 });
    const b = board;
    const { loader, transport } = loaderFor(b, 460800);
    await within(20_000, loader.detectChip('default_reset'));
    await within(10_000, loader.changeBaud());
    expect(loader.IS_STUB).toBe(false);
    expect(b.baud).toBe(460800);
    expect(b.state).toBe('download');
    const image = testImage('esp32');
    await within(45_000, loader.writeFlash({
      fileArray: [{ data: image, address: 0x1000 }],
      flashSize: 'keep',
      flashMode: 'keep',
      flashFreq: 'keep',
      eraseAll: false,
      compress: true,
    }));
    const md5 = createHash('md5').update(image).digest('hex');
    expect(createHash('md5').update(b.flash.read(0x1000, image.length)).digest('hex')).toBe(md5);
    // The ROM answers 32 ASCII hex digits; esptool-js hex-encodes those bytes again.
    const answer = await within(10_000, loader.flashMd5sum(0x1000, image.length));
    expect(Buffer.from(answer, 'hex').toString('latin1')).toBe(md5);
    await transport.disconnect();
  });

  it('ESP32: ROM error answers carry four status bytes', async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05 });
    const raw = new RawClient(board);
    await raw.openInDownloadMode();
    await raw.send(0x08, SYNC_DATA);
    expect(await raw.replies(8, 3000)).toHaveLength(8);
    // READ_REG of the magic word: value field, status 00 00 00 00
    await raw.send(0x0a, words(0x40001000));
    const [reg] = await raw.replies(1, 3000);
    expect(reg?.value).toBe(0x00f01d83);
    expect(Array.from(reg!.body)).toEqual([0, 0, 0, 0]);
    // FLASH_BEGIN past the end of a 4 MB flash: invalid parameter
    await raw.send(0x02, words(0x1000, 1, 0x1000, 0x400000, 0));
    const [oob] = await raw.replies(1, 3000);
    expect(Array.from(oob!.body)).toEqual([1, 0x01, 0, 0]);
    // FLASH_DATA with a wrong checksum: error 0x07
    await raw.send(0x02, words(0x1000, 1, 0x1000, 0x10000, 0));
    expect(Array.from((await raw.replies(1, 3000))[0]!.body)).toEqual([0, 0, 0, 0]);
    const block = new Uint8Array(16 + 0x1000);
    block.set(words(0x1000, 0, 0, 0));
    block.fill(0xa5, 16);
    await raw.send(0x03, block, 0x12);
    expect(Array.from((await raw.replies(1, 3000))[0]!.body)).toEqual([1, 0x07, 0, 0]);
    // GET_SECURITY_INFO is not in the ESP32 ROM
    await raw.send(0x14, new Uint8Array(0));
    const sec = await raw.replies(8, 3000);
    expect(sec).toHaveLength(8);
    expect(sec.every((r) => r.op !== 0x14 && r.body[0] === 1 && r.body[1] === 0x05)).toBe(true);
    await raw.close();
  });
});
