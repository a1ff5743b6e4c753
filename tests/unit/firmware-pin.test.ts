// The app checks a built-in image against its pin in firmware-images.lock.json (bundled into the
// code) before handing a byte to the flasher, and against the build's manifest where nothing is
// pinned. A host that swaps the image and the manifest beside it together is still caught.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FirmwareError, PINNED, expectedImage, fetchCatalogImage, type CatalogImage, type FirmwareLock } from '../../src/device/firmware.ts';
import { CATALOG } from '../../src/device/firmware-catalog.ts';
import { testImage } from '../board/index.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const BASE = 'https://x.test/nyala/';

function entryFor(bytes: Uint8Array): CatalogImage {
  return { ...CATALOG[0]!, size: bytes.length, sha256: sha(bytes) };
}
function host(path: string, body: Uint8Array): typeof fetch {
  return (async (input: string | URL | Request) =>
    new URL(String(input)).pathname === path ? new Response(body as BodyInit) : new Response('not found', { status: 404 })) as typeof fetch;
}
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as FirmwareError);

describe('the pinned hash of a built-in image', () => {
  const official = testImage('esp8266');
  const tampered = official.slice();
  tampered[4096] = tampered[4096]! ^ 0x5a;
  const lock: FirmwareLock = { images: { [CATALOG[0]!.file]: { sha256: sha(official), size: official.length } } };
  const path = `/nyala/firmware/${CATALOG[0]!.file}`;

  it('hands over the image that matches its pin', async () => {
    expect(await fetchCatalogImage(BASE, entryFor(official), host(path, official), lock)).toEqual(official);
  });

  it('refuses a tampered image even when the manifest beside it was changed to match', async () => {
    const err = await refusal(fetchCatalogImage(BASE, entryFor(tampered), host(path, tampered), lock));
    expect(err).toBeInstanceOf(FirmwareError);
    expect(err!.code).toBe('corrupt-download');
    expect(err!.detail).toContain('pinned');
  });

  it('refuses a tampered image served under an honest manifest, and names the lock', async () => {
    const err = await refusal(fetchCatalogImage(BASE, entryFor(official), host(path, tampered), lock));
    expect(err!.code).toBe('corrupt-download');
    expect(err!.detail).toContain('firmware-images.lock.json');
  });

  it('falls back to the manifest where nothing is pinned, and still refuses what differs from it', async () => {
    const none: FirmwareLock = { images: {} };
    expect(expectedImage(entryFor(official), none).pinned).toBe(false);
    expect(await fetchCatalogImage(BASE, entryFor(official), host(path, official), none)).toEqual(official);
    const err = await refusal(fetchCatalogImage(BASE, entryFor(official), host(path, tampered), none));
    expect(err!.code).toBe('corrupt-download');
    expect(err!.detail).toContain("the build's manifest");
  });

  it('bundles the repository lock file as it is', async () => {
    const file = JSON.parse(await readFile(new URL('../../firmware-images.lock.json', import.meta.url), 'utf8')) as FirmwareLock;
    expect(PINNED.images).toEqual(file.images);
  });
});
