// The firmware catalog as the build ships it (public/firmware/manifest.json, written by
// `npm run firmware:fetch`), and fetching an image with its sha256 checked, which catches a
// truncated download or a damaged cache before anything is erased.
import type { ChipFamily } from './chips.ts';
import type { FirmwareManifest } from './firmware-catalog.ts';
import { sha256Hex } from './sha256.ts';

export type CatalogImage = FirmwareManifest['images'][number];

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

/** Download an image from the build and check it is exactly the one the manifest names. */
export async function fetchCatalogImage(baseUrl: string, image: CatalogImage, fetchFn: typeof fetch = fetch): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const res = await fetchFn(new URL(`firmware/${image.file}`, baseUrl));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new FirmwareError('download-failed', String((err as Error).message ?? err));
  }
  const actual = await sha256Hex(bytes);
  if (bytes.length !== image.size || actual !== image.sha256) {
    throw new FirmwareError('corrupt-download', `${image.file}: ${bytes.length} bytes, sha256 ${actual.slice(0, 12)}…`);
  }
  return bytes;
}
