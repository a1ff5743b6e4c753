// The real, unmodified esptool-js against the virtual board, the way the flasher will use it:
// connect, identify, erase, write the shared test image compressed, verify by MD5, read back,
// reset into the application.
import { createHash } from 'node:crypto';
import { CustomReset } from 'esptool-js';
import { describe, expect, it } from 'vitest';
import { testImage, type Board } from './index.ts';
import { boardPerTest, loaderFor, within } from './esptool-harness.ts';

const md5 = (d: Uint8Array): string => createHash('md5').update(d).digest('hex');
const TIME_SCALE = 0.05;

const cases = [
  { chip: 'esp8266', flashSize: '1MB', name: 'ESP8266EX', mac: '5c:cf:7f:01:02:03', offset: 0x0 },
  { chip: 'esp8266', flashSize: '4MB', name: 'ESP8266EX', mac: '5c:cf:7f:3f:9a:2c', offset: 0x0 },
  { chip: 'esp32', flashSize: '4MB', name: 'ESP32-D0WD-V3 (revision 3)', mac: '24:0a:c4:aa:bb:cc', offset: 0x1000 },
] as const;

let board: Board | undefined;
// esptool-js's Transport traces "readLoop exited" with console.log even when tracing is off.
const newBoard = boardPerTest();

describe('esptool-js flashes the virtual board', () => {
  for (const c of cases) {
    for (const baud of [460800, 921600]) {
      it(`${c.chip} ${c.flashSize} at ${baud}`, { timeout: 120_000 }, async () => {
        board = newBoard({ chip: c.chip, flashSize: c.flashSize, mac: c.mac, timeScale: TIME_SCALE });
        const b = board;
        const { loader, transport, log } = loaderFor(b, baud);

        const description = await within(20_000, loader.main());
        expect(description).toBe(c.name);
        expect(await loader.chip.readMac(loader)).toBe(c.mac);
        expect(log.text).toContain('Stub running...');
        expect(b.baud).toBe(baud);
        expect(await loader.detectFlashSize()).toBe(c.flashSize);

        b.flash.preload(0x80000, new Uint8Array(0x1000).fill(0x42));
        await within(20_000, loader.eraseFlash());
        expect(b.flash.isErased(0, b.flash.size)).toBe(true);

        const image = testImage(c.chip);
        await within(30_000, loader.writeFlash({
          fileArray: [{ data: image, address: c.offset }],
          flashSize: 'keep',
          flashMode: 'keep',
          flashFreq: 'keep',
          eraseAll: false,
          compress: true,
          calculateMD5Hash: md5,
        }));
        expect(log.text).toContain('Hash of data verified.');
        expect(md5(b.flash.read(c.offset, image.length))).toBe(md5(image));

        // esptool-js reassembles each READ_FLASH packet byte by byte (quadratic in the packet),
        // so a whole megabyte costs seconds of CPU: read it all once per board, at 921600.
        const readLength = baud === 921600 ? image.length : 0x10000;
        const back = await within(60_000, loader.readFlash(c.offset, readLength));
        expect(md5(back)).toBe(md5(image.subarray(0, readLength)));

        // esptool-js's HardReset only releases RTS; after its port reopen at the new baud Linux
        // has raised both lines, so that alone does not reset a two-transistor board (esptool-js
        // issue #177). The board stays up; an explicit EN pulse boots the new image.
        await loader.after('hard_reset');
        expect(b.state).toBe('stub');
        await new CustomReset(transport, 'D0|R1|W100|R0').reset();
        await b.waitForState('app', 10_000);
        await transport.disconnect();
      });
    }
  }
});
