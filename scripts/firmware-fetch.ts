// npm run firmware:fetch — download the official MicroPython images into public/firmware/ (the
// build copies them; the service worker does not precache them) and write manifest.json with each
// image's size and sha256, which the app checks before flashing.
//
// Pinned by hash: firmware-images.lock.json records the sha256 and size of each image. A download
// that differs from its entry is refused and nothing is written. An entry is written or changed
// only by `npm run firmware:fetch -- --update-lock` (then review the diff, like package-lock.json).
// An image with no entry yet is fetched and its hashes are printed (and, on GitHub Actions, added
// to the job summary) with how to pin them.
//
// It also fails loudly on a missing file, a short answer or an HTML page, so a broken download
// never reaches a person's board.
//   NYALA_FIRMWARE_SOURCE  where to download from (tests point it at a local server)
//   NYALA_FIRMWARE_OUT     where to write (default public/firmware)
//   NYALA_FIRMWARE_LOCK    the lock file (default firmware-images.lock.json)
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG, FIRMWARE_SOURCE, MICROPYTHON_VERSION, type FirmwareManifest } from '../src/device/firmware-catalog.ts';
import type { FirmwareLock, Pin } from '../src/device/firmware.ts';

/** The smallest official image (ESP8266 512 KB build) is well over this; anything less is broken. */
const MIN_IMAGE_BYTES = 256 * 1024;
const ESP_IMAGE_MAGIC = 0xe9;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = process.env.NYALA_FIRMWARE_SOURCE ?? FIRMWARE_SOURCE;
const outDir = path.resolve(root, process.env.NYALA_FIRMWARE_OUT ?? 'public/firmware');
const lockPath = path.resolve(root, process.env.NYALA_FIRMWARE_LOCK ?? 'firmware-images.lock.json');

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

async function readLock(): Promise<FirmwareLock & { about?: string }> {
  try {
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as FirmwareLock & { about?: string };
    return { ...lock, images: lock.images ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { images: {} };
    throw new Error(`${path.relative(root, lockPath)} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** What to tell a person (and the Actions job summary) about images that are not pinned yet. */
function unpinnedReport(seen: Record<string, Pin>, lockName: string): { text: string; markdown: string } {
  const snippet = JSON.stringify({ images: seen }, null, 2);
  const how = [
    `To pin them: on a machine that reaches micropython.org run`,
    `  npm run firmware:fetch -- --update-lock`,
    `check that it records the same sha256 values as below, and commit ${lockName}.`,
    `From then on firmware:fetch refuses any image that differs, and the app refuses it before erasing.`,
  ];
  const text = [`${Object.keys(seen).length} image(s) are not pinned in ${lockName} yet; fetched as served:`, ...Object.entries(seen).map(([f, p]) => `  ${p.sha256}  ${p.size}  ${f}`), ...how].join('\n');
  const markdown = [
    `### MicroPython images not pinned yet`,
    ``,
    `These were fetched from ${source} and deployed unpinned; their hashes as this run saw them:`,
    ``,
    `| file | size | sha256 |`,
    `| --- | ---: | --- |`,
    ...Object.entries(seen).map(([f, p]) => `| \`${f}\` | ${p.size} | \`${p.sha256}\` |`),
    ``,
    `To pin them, run \`npm run firmware:fetch -- --update-lock\` where micropython.org can be reached, check that`,
    `\`${lockName}\` then holds these same values (its \`images\` should read as below), review the diff and commit it.`,
    `From then on \`firmware:fetch\` refuses an image that differs and the app refuses it before erasing a board.`,
    ``,
    '```json',
    snippet,
    '```',
    ``,
  ].join('\n');
  return { text, markdown };
}

async function main(): Promise<void> {
  const updateLock = process.argv.includes('--update-lock');
  const lockName = path.relative(root, lockPath) || lockPath;
  const lock = await readLock();
  const manifest: FirmwareManifest = { version: MICROPYTHON_VERSION, images: [] };
  const bodies = new Map<string, Uint8Array>();
  const failures: string[] = [];
  const unpinned: Record<string, Pin> = {};
  const changed: string[] = [];
  for (const entry of CATALOG) {
    const url = new URL(entry.file, source).href;
    try {
      const body = await fetchImage(url);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const pin = lock.images[entry.file];
      if (pin && (pin.sha256 !== sha256 || pin.size !== body.length)) {
        const what = `${entry.file}: ${body.length} bytes, sha256 ${sha256} differs from ${lockName} (${pin.size} bytes, sha256 ${pin.sha256})`;
        if (!updateLock) throw new Error(`${what}; refusing it. If the new image is expected, run npm run firmware:fetch -- --update-lock and review the diff.`);
        changed.push(what);
      }
      if (!pin) unpinned[entry.file] = { sha256, size: body.length };
      bodies.set(entry.file, body);
      manifest.images.push({ ...entry, size: body.length, sha256 });
      console.log(`ok   ${entry.file}  ${body.length} bytes  sha256 ${sha256.slice(0, 16)}…  ${pin ? 'pinned' : 'not pinned'}`);
    } catch (err) {
      failures.push(String((err as Error).message));
      console.error(`FAIL ${entry.file}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) {
    console.error(`${failures.length} of ${CATALOG.length} images refused or not fetched; nothing written.`);
    process.exit(1);
  }
  // Only once every image passed: a refused download leaves no file behind for the build to ship.
  await mkdir(outDir, { recursive: true });
  for (const [file, body] of bodies) await writeFile(path.join(outDir, file), body);
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, path.join(outDir, 'manifest.json'))} (${manifest.images.length} images)`);

  if (updateLock) {
    const images: Record<string, Pin> = {};
    for (const img of manifest.images) images[img.file] = { sha256: img.sha256, size: img.size };
    await writeFile(lockPath, JSON.stringify({ ...(lock.about ? { about: lock.about } : {}), images }, null, 2) + '\n');
    for (const c of changed) console.log(`changed ${c}`);
    console.log(`wrote ${lockName}: ${manifest.images.length} images pinned. Review the diff (git diff ${lockName}) and commit it.`);
  } else if (Object.keys(unpinned).length > 0) {
    const report = unpinnedReport(unpinned, lockName);
    console.log(report.text);
    if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, report.markdown);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
