// npm run firmware:fetch — download the pinned official MicroPython images into public/firmware/
// (the build copies them; the service worker does not precache them) and write manifest.json with
// each image's size and sha256, which the app checks before flashing. Fails loudly on a missing
// file, a short answer or an HTML page, so a broken download never reaches a person's board.
//   NYALA_FIRMWARE_SOURCE  where to download from (tests point it at a local server)
//   NYALA_FIRMWARE_OUT     where to write (default public/firmware)
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG, FIRMWARE_SOURCE, MICROPYTHON_VERSION, type FirmwareManifest } from '../src/device/firmware-catalog.ts';

/** The smallest official image (ESP8266 512 KB build) is well over this; anything less is broken. */
const MIN_IMAGE_BYTES = 256 * 1024;
const ESP_IMAGE_MAGIC = 0xe9;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = process.env.NYALA_FIRMWARE_SOURCE ?? FIRMWARE_SOURCE;
const outDir = path.resolve(root, process.env.NYALA_FIRMWARE_OUT ?? 'public/firmware');

export async function fetchImage(url: string): Promise<Uint8Array> {
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const type = res.headers.get('content-type') ?? '';
  const body = new Uint8Array(await res.arrayBuffer());
  const head = new TextDecoder().decode(body.subarray(0, 64)).trimStart().toLowerCase();
  if (type.includes('text/html') || head.startsWith('<!doctype') || head.startsWith('<html')) {
    throw new Error(`${url}: got an HTML page, not a firmware image`);
  }
  if (body.length < MIN_IMAGE_BYTES) throw new Error(`${url}: only ${body.length} bytes, an image is at least ${MIN_IMAGE_BYTES}`);
  if (body[0] !== ESP_IMAGE_MAGIC) throw new Error(`${url}: does not start with the ESP image magic 0xE9`);
  return body;
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const manifest: FirmwareManifest = { version: MICROPYTHON_VERSION, images: [] };
  const failures: string[] = [];
  for (const entry of CATALOG) {
    const url = new URL(entry.file, source).href;
    try {
      const body = await fetchImage(url);
      await writeFile(path.join(outDir, entry.file), body);
      const sha256 = createHash('sha256').update(body).digest('hex');
      manifest.images.push({ ...entry, size: body.length, sha256 });
      console.log(`ok   ${entry.file}  ${body.length} bytes  sha256 ${sha256.slice(0, 16)}…`);
    } catch (err) {
      failures.push(String((err as Error).message));
      console.error(`FAIL ${entry.file}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    console.error(`${failures.length} of ${CATALOG.length} images could not be fetched; no manifest written.`);
    process.exit(1);
  }
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, path.join(outDir, 'manifest.json'))} (${manifest.images.length} images)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
