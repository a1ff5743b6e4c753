import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FirmwareError, fetchCatalogImage, imagesFor, loadCatalog, type CatalogImage } from '../../../src/device/firmware.ts';
import { CATALOG } from '../../../src/device/firmware-catalog.ts';
import { checkImage, readImage } from '../../../src/device/image.ts';
import { testImage } from '../../board/index.ts';

const MB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function catalogWith(bytes: Uint8Array): CatalogImage[] {
  return CATALOG.map((e) => ({ ...e, size: bytes.length, sha256: sha(bytes) }));
}

/** A fetch that answers from a map of paths, as a static host would. */
function host(files: Record<string, Uint8Array | string>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const path = new URL(String(input)).pathname;
    const body = files[path];
    if (body === undefined) return new Response('not found', { status: 404 });
    return new Response(body as BodyInit);
  }) as typeof fetch;
}

describe('the catalog', () => {
  it('offers each chip its own images, largest flash layout that fits first', () => {
    const cat = catalogWith(new Uint8Array(1));
    expect(imagesFor(cat, 'esp8266', 4 * MB).map((i) => i.id)).toEqual(['ESP8266_GENERIC', 'ESP8266_GENERIC-FLASH_1M', 'ESP8266_GENERIC-FLASH_512K']);
    expect(imagesFor(cat, 'esp8266', 1 * MB)[0]?.id).toBe('ESP8266_GENERIC-FLASH_1M');
    expect(imagesFor(cat, 'esp32', 4 * MB).map((i) => [i.id, i.offset])).toEqual([['ESP32_GENERIC', 0x1000]]);
    expect(imagesFor(cat, 'esp32s3', 8 * MB)[0]?.offset).toBe(0);
    expect(imagesFor(cat, 'esp32c3', 2 * MB)).toEqual([]);
  });

  it('loads the manifest the build wrote, and an empty catalog when there is none', async () => {
    const cat = catalogWith(new Uint8Array(4));
    const files = { '/nyala/firmware/manifest.json': JSON.stringify({ version: '1.27.0', images: cat }) };
    expect(await loadCatalog('https://x.test/nyala/', host(files))).toHaveLength(CATALOG.length);
    expect(await loadCatalog('https://x.test/other/', host(files))).toEqual([]);
  });

  it('hands over an image only when its size and sha256 match the manifest', async () => {
    const good = testImage('esp8266');
    const [entry] = catalogWith(good);
    const base = 'https://x.test/';
    expect(await fetchCatalogImage(base, entry!, host({ [`/firmware/${entry!.file}`]: good }))).toEqual(good);

    const truncated = good.subarray(0, good.length - 1000);
    const err = await fetchCatalogImage(base, entry!, host({ [`/firmware/${entry!.file}`]: truncated })).catch((e: unknown) => e);
    expect((err as FirmwareError).code).toBe('corrupt-download');

    const damaged = good.slice();
    damaged[5000] = damaged[5000]! ^ 0xff;
    const err2 = await fetchCatalogImage(base, entry!, host({ [`/firmware/${entry!.file}`]: damaged })).catch((e: unknown) => e);
    expect((err2 as FirmwareError).code).toBe('corrupt-download');

    const err3 = await fetchCatalogImage(base, entry!, host({})).catch((e: unknown) => e);
    expect((err3 as FirmwareError).code).toBe('download-failed');
  });
});

describe('image checks', () => {
  it('reads the chip an image is built for', () => {
    expect(readImage(testImage('esp8266'))).toMatchObject({ chip: 'esp8266' });
    expect(readImage(testImage('esp32'))).toMatchObject({ chip: 'esp32' });
  });

  it('refuses before erasing: wrong chip, too big, not an image, HTML, empty', () => {
    const e8266 = { chip: 'esp8266', flashSize: 4 * MB } as const;
    expect(checkImage(testImage('esp8266'), e8266)).toBeNull();
    expect(checkImage(testImage('esp32'), e8266)).toEqual({ code: 'wrong-chip', imageChip: 'esp32', boardChip: 'esp8266' });
    expect(checkImage(testImage('esp8266'), { chip: 'esp8266', flashSize: MB / 2 })).toMatchObject({ code: 'too-big' });
    // the ESP32 image at 0x1000 must fit too
    const img = testImage('esp32');
    expect(checkImage(img, { chip: 'esp32', flashSize: img.length })).toMatchObject({ code: 'too-big', end: img.length + 0x1000 });
    expect(checkImage(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, ...new Array(60).fill(0)]), e8266)).toMatchObject({ code: 'not-an-image', firstByte: 0x7f });
    expect(checkImage(new TextEncoder().encode('\uFEFF  <!doctype html><html>'), e8266)).toEqual({ code: 'html' });
    expect(checkImage(new Uint8Array(0), e8266)).toEqual({ code: 'empty' });
    const unknown = testImage('esp32').slice();
    unknown[12] = 0x7e;
    expect(checkImage(unknown, { chip: 'esp32', flashSize: 4 * MB })).toEqual({ code: 'unknown-chip', chipId: 0x7e });
  });
});
