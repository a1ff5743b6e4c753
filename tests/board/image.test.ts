// The shared test image: the same bytes every run, valid ESP image format (checked by our ROM model
// and by esptool-js's own image parser), about as compressible as MicroPython, about 1 MB.
import { createHash } from 'node:crypto';
import { loadFirmwareImage } from 'esptool-js/lib/image/index.js';
import { ESP32ROM } from 'esptool-js/lib/targets/esp32.js';
import { ESP8266ROM } from 'esptool-js/lib/targets/esp8266.js';
import { describe, expect, it, vi } from 'vitest';
import { TEST_IMAGE_SIZE, buildImage, checkImage, deflateRatio, testImage } from './image.ts';

describe('test image', () => {
  for (const chip of ['esp8266', 'esp32'] as const) {
    it(`${chip}: about 1 MB, compresses like MicroPython, fixed bytes`, () => {
      const img = testImage(chip);
      expect(img.length).toBe(TEST_IMAGE_SIZE);
      expect(img.length).toBeGreaterThan(0.9 * 1024 * 1024);
      const ratio = deflateRatio(img);
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(0.65);
      // a fixed seed: this digest changes only if the generator does
      expect(createHash('sha256').update(img).digest('hex')).toBe(
        chip === 'esp8266' ? ESP8266_DIGEST : ESP32_DIGEST,
      );
    });
  }

  it('esp8266: valid for our ROM and for esptool-js', async () => {
    const img = testImage('esp8266');
    const check = checkImage('esp8266', img, 0);
    expect(check.ok).toBe(true);
    const parsed = await loadFirmwareImage(new ESP8266ROM(), img);
    expect(parsed.segments.length).toBe(3);
    expect(parsed.checksum).toBe(check.ok ? check.checksum : -1);
  });

  it('esp32: bootloader and app both valid, SHA-256 appended and right', async () => {
    const img = testImage('esp32');
    const boot = checkImage('esp32', img, 0);
    expect(boot.ok).toBe(true);
    expect(img[23]).toBe(1);
    expect(checkImage('esp32', img, 0xf000).ok).toBe(true);
    // esptool-js warns about ESP8266-style segment addresses on any chip; not our concern here
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    // esptool-js parses both (its own digest check hashes one byte short of esptool's, so we
    // compare the SHA-256 ourselves in checkImage, as the ROM does)
    expect((await loadFirmwareImage(new ESP32ROM(), img)).segments.length).toBe(3);
    expect((await loadFirmwareImage(new ESP32ROM(), img.subarray(0xf000))).segments.length).toBe(4);
    vi.restoreAllMocks();
  });

  it('the ROM check catches a bad magic, a bad checksum and a bad SHA-256', () => {
    const seg = { addr: 0x40080000, data: new Uint8Array(64).fill(7) };
    const good = buildImage({ chip: 'esp32', entry: 0x40080000, segments: [seg] });
    expect(checkImage('esp32', good, 0).ok).toBe(true);
    const badMagic = good.slice();
    badMagic[0] = 0xff;
    expect(checkImage('esp32', badMagic, 0)).toMatchObject({ ok: false, reason: 'magic' });
    const badData = good.slice();
    badData[40] = (badData[40] ?? 0) ^ 0x80;
    expect(checkImage('esp32', badData, 0)).toMatchObject({ ok: false, reason: 'checksum' });
    const badSha = good.slice();
    badSha[badSha.length - 1] = (badSha[badSha.length - 1] ?? 0) ^ 1;
    expect(checkImage('esp32', badSha, 0)).toMatchObject({ ok: false, reason: 'sha' });
  });
});

const ESP8266_DIGEST = '40b3f89d95fa8c1506889af285f1c9fd6cbffaf788dfb31e7dd66f54c5af7fab';
const ESP32_DIGEST = 'a495fa5852631d9aca48532461952dea439eb61e17fa15a1abdbf2ed448ae94f';
