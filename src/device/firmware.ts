// The firmware catalog as the build ships it (public/firmware/manifest.json, written by
// `npm run firmware:fetch`), and fetching an image with its sha256 checked before anything is
// erased. The expected hash is the one pinned in firmware-images.lock.json, which is bundled into
// the app's code, so a host that swaps both an image and the manifest beside it is still caught;
// where the lock pins nothing yet, the build's manifest is what there is (it still catches a
// truncated download or a damaged cache).
import type { ChipFamily } from './chips.ts';
import type { FirmwareManifest } from './firmware-catalog.ts';
import { sha256Hex } from './sha256.ts';
import lockFile from '../../firmware-images.lock.json';

export type CatalogImage = FirmwareManifest['images'][number];

/** One image's pin: what `npm run firmware:fetch -- --update-lock` recorded. */
export interface Pin {
  sha256: string;
  size: number;
}
/** firmware-images.lock.json: pins by image file name. */
export interface FirmwareLock {
  images: Record<string, Pin>;
}

/** The lock as this build was made with it. */
export const PINNED: FirmwareLock = { images: (lockFile as Partial<FirmwareLock>).images ?? {} };

/** What an image must be: its pin where the lock has one, else what the build's manifest says. */
export function expectedImage(image: CatalogImage, lock: FirmwareLock = PINNED): Pin & { pinned: boolean } {
  const pin = lock.images[image.file];
  return pin ? { sha256: pin.sha256, size: pin.size, pinned: true } : { sha256: image.sha256, size: image.size, pinned: false };
}

export class FirmwareError extends Error {
  constructor(
    readonly code: 'no-catalog' | 'download-failed' | 'corrupt-download',
    readonly detail = '',
  ) {
    super(`${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'FirmwareError';
  }
}

/** The manifest, or an empty catalog when this build has no images (then only own files work). */
export async function loadCatalog(baseUrl: string, fetchFn: typeof fetch = fetch): Promise<CatalogImage[]> {
  try {
    const res = await fetchFn(new URL('firmware/manifest.json', baseUrl));
    if (!res.ok) return [];
    const manifest = (await res.json()) as FirmwareManifest;
    return Array.isArray(manifest.images) ? manifest.images : [];
  } catch {
    return [];
  }
}

/** The images that suit a board: its chip, and built for no more flash than it has; best first. */
export function imagesFor(catalog: readonly CatalogImage[], chip: ChipFamily, flashSize: number): CatalogImage[] {
  return catalog
    .filter((i) => i.chip === chip && i.minFlash <= flashSize)
    .sort((a, b) => b.minFlash - a.minFlash);
}

/**
 * Download an image from the build and check it is exactly the pinned one (or, with no pin, the
 * one the manifest names). Throws before a byte is returned, so nothing is erased for it.
 */
export async function fetchCatalogImage(baseUrl: string, image: CatalogImage, fetchFn: typeof fetch = fetch, lock: FirmwareLock = PINNED): Promise<Uint8Array> {
  const expected = expectedImage(image, lock);
  // A manifest that disagrees with the pin is refused without downloading anything.
  if (expected.pinned && (image.sha256 !== expected.sha256 || image.size !== expected.size)) {
    throw new FirmwareError('corrupt-download', `${image.file}: the build's manifest says sha256 ${image.sha256.slice(0, 12)}…, the pinned one is ${expected.sha256.slice(0, 12)}…`);
  }
  let bytes: Uint8Array;
  try {
    const res = await fetchFn(new URL(`firmware/${image.file}`, baseUrl));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new FirmwareError('download-failed', String((err as Error).message ?? err));
  }
  const actual = await sha256Hex(bytes);
  if (bytes.length !== expected.size || actual !== expected.sha256) {
    const against = expected.pinned ? 'firmware-images.lock.json' : "the build's manifest";
    throw new FirmwareError('corrupt-download', `${image.file}: ${bytes.length} bytes, sha256 ${actual.slice(0, 12)}…, not the ${expected.size} bytes, sha256 ${expected.sha256.slice(0, 12)}… of ${against}`);
  }
  return bytes;
}
