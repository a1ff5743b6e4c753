// The virtual MicroPython board's filesystem as it sits in the board's flash.
//
// Plain JavaScript because the interpreter's worker thread loads it directly (a worker can't run
// TypeScript without a loader that costs more than half a second per boot); flashfs.d.mts gives
// TypeScript its types. The main thread uses the same code so tests can read and preload files.
//
// The image is our own simple format (header + entries), not LittleFS or FAT blocks: what must be
// true is where it lives (the region MicroPython's own partition layout gives the filesystem), how
// much fits, that it survives resets and vanishes with an erase (all 0xFF = no filesystem, which
// MicroPython answers by creating an empty one), and that a write is committed as a whole.

/** Filesystem block size: 4096 on both chips (the flash sector, LittleFS's block). */
export const BLOCK_SIZE = 4096;

/**
 * What writing costs the chip (board ms, scaled by timeScale), so upload figures include it. The
 * flash's own times (../flash.ts, W25Q32JV typical): 4 KB sector erase 45 ms, 256-byte page
 * program 0.4 ms. LittleFS (block = 4 KB sector) erases each data block before its first program
 * and programs the data page by page; a metadata commit (create, close with new data, rename,
 * remove, mkdir) programs about two pages of its metadata pair, and every eighth one compacts the
 * pair into its other block (an erase). An estimate from LittleFS's design (SPEC.md / DESIGN.md);
 * FAT costs about the same per 4 KB cluster.
 */
export const SECTOR_ERASE_MS = 45;
export const PAGE_PROGRAM_MS = 0.4;
const META_COMMIT_PAGES = 2;
const COMMITS_PER_COMPACTION = 8;

/** ms to write `bytes` of file data, `newBlocks` of them into blocks not yet erased for this file. */
export function dataWriteMs(bytes, newBlocks) {
  return newBlocks * SECTOR_ERASE_MS + Math.ceil(bytes / 256) * PAGE_PROGRAM_MS;
}

/** ms of the `n`th metadata commit since boot (1-based). */
export function metaCommitMs(n) {
  return META_COMMIT_PAGES * PAGE_PROGRAM_MS + (n % COMMITS_PER_COMPACTION === 0 ? SECTOR_ERASE_MS : 0);
}
const MAGIC = 0x5346594e; // "NYFS" little-endian
const VERSION = 1;
const HEADER = 24;

/** @typedef {'littlefs' | 'fat'} FsKind */
/** @typedef {{ dir: true } | { dir: false, data: Uint8Array }} FsEntry */
/** @typedef {{ seq: number, kind: FsKind, entries: Map<string, FsEntry> }} FsImage */

/**
 * Where MicroPython 1.27 keeps its filesystem on this chip and flash size, or null for none.
 * ESP8266: from the end of the 1 MB firmware area (ports/esp8266/modules/flashbdev.py: flash user
 * start, sector 256 on 2 MB+ builds) to 20 KB before the end (SDK parameters). ESP32: the "vfs"
 * partition, from 0x200000 on 4 MB+ flash (partitions-4MiBplus.csv) or 0x170000 on 2 MB.
 * @param {'esp8266' | 'esp32'} chip
 * @param {number} flashSize
 * @returns {{ offset: number, size: number } | null}
 */
export function fsRegion(chip, flashSize) {
  if (chip === 'esp8266') {
    if (flashSize < 1024 * 1024) return null;
    const start = flashSize >= 2 * 1024 * 1024 ? 0x100000 : 0x9c000;
    return { offset: start, size: flashSize - 20480 - start };
  }
  if (flashSize >= 4 * 1024 * 1024) return { offset: 0x200000, size: flashSize - 0x200000 };
  if (flashSize >= 2 * 1024 * 1024) return { offset: 0x170000, size: flashSize - 0x170000 };
  return null;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** @param {Uint8Array} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Reads the region: 'empty' (all 0xFF: never formatted or erased), 'corrupt' (something else that
 * isn't our image, e.g. a firmware written over it), or the image.
 * @param {Uint8Array} region
 * @returns {FsImage | 'empty' | 'corrupt'}
 */
export function parseImage(region) {
  const dv = new DataView(region.buffer, region.byteOffset, region.byteLength);
  if (region.length < HEADER || dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== VERSION) {
    return isErased(region) ? 'empty' : 'corrupt';
  }
  const seq = dv.getUint32(8, true);
  const kind = region[12] === 1 ? 'fat' : 'littlefs';
  const len = dv.getUint32(16, true);
  if (HEADER + len > region.length) return 'corrupt';
  const payload = region.subarray(HEADER, HEADER + len);
  if (crc32(payload) !== dv.getUint32(20, true)) return 'corrupt';
  /** @type {Map<string, FsEntry>} */
  const entries = new Map();
  const pdv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const dec = new TextDecoder();
  let p = 0;
  while (p < payload.length) {
    const plen = pdv.getUint16(p, true);
    const path = dec.decode(payload.subarray(p + 2, p + 2 + plen));
    p += 2 + plen;
    const type = payload[p];
    const size = pdv.getUint32(p + 1, true);
    p += 5;
    if (type === 2) entries.set(path, { dir: true });
    else entries.set(path, { dir: false, data: payload.slice(p, p + size) });
    p += type === 2 ? 0 : size;
  }
  return { seq, kind, entries };
}

/** @param {Uint8Array} region */
export function isErased(region) {
  // Checking the first block is what MicroPython's inisetup.check_bootsec() does; we check it all
  // so a stray write anywhere counts as "not ours".
  for (let i = 0; i < region.length; i++) if (region[i] !== 0xff) return false;
  return true;
}

/**
 * @param {FsImage} image
 * @returns {Uint8Array}
 */
export function serializeImage(image) {
  const enc = new TextEncoder();
  /** @type {Uint8Array[]} */
  const parts = [];
  let total = 0;
  for (const [path, e] of image.entries) {
    const pb = enc.encode(path);
    const head = new Uint8Array(2 + pb.length + 5);
    const hdv = new DataView(head.buffer);
    hdv.setUint16(0, pb.length, true);
    head.set(pb, 2);
    head[2 + pb.length] = e.dir ? 2 : 1;
    hdv.setUint32(2 + pb.length + 1, e.dir ? 0 : e.data.length, true);
    parts.push(head);
    total += head.length;
    if (!e.dir) {
      parts.push(e.data);
      total += e.data.length;
    }
  }
  const out = new Uint8Array(HEADER + total);
  const dv = new DataView(out.buffer);
  let p = HEADER;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, image.seq >>> 0, true);
  out[12] = image.kind === 'fat' ? 1 : 0;
  dv.setUint32(16, total, true);
  dv.setUint32(20, crc32(out.subarray(HEADER)), true);
  return out;
}

/**
 * Blocks the filesystem uses: two for the superblock pair / boot sector, one per directory, and
 * each file rounded up to whole blocks, as LittleFS and FAT (4 KB clusters) both do.
 * @param {Map<string, FsEntry>} entries
 */
export function usedBlocks(entries) {
  let n = 2;
  for (const e of entries.values()) n += e.dir ? 1 : Math.ceil(e.data.length / BLOCK_SIZE);
  return n;
}

/**
 * Writes the image into the region as NOR flash takes it: erase (0xFF) what the old and new images
 * cover, then program.
 * @param {Uint8Array} region
 * @param {FsImage} image
 */
export function writeImage(region, image) {
  const bytes = serializeImage(image);
  if (bytes.length > region.length) throw new Error('filesystem image larger than its region');
  const dv = new DataView(region.buffer, region.byteOffset, region.byteLength);
  let oldLen = 0;
  if (region.length >= HEADER && dv.getUint32(0, true) === MAGIC) {
    oldLen = Math.min(region.length, HEADER + dv.getUint32(16, true));
  }
  const eraseTo = Math.min(region.length, Math.ceil(Math.max(oldLen, bytes.length) / BLOCK_SIZE) * BLOCK_SIZE);
  region.fill(0xff, 0, eraseTo);
  region.set(bytes, 0);
}

/** The sequence number of the image in the region (changes on every commit), or -1. */
/** @param {Uint8Array} region */
export function imageSeq(region) {
  if (region.length < HEADER) return -1;
  const dv = new DataView(region.buffer, region.byteOffset, region.byteLength);
  return dv.getUint32(0, true) === MAGIC ? dv.getUint32(8, true) : -1;
}

/** Normalises a board path: absolute, no trailing slash, no "." or "..". */
/** @param {string} path */
export function normPath(path) {
  /** @type {string[]} */
  const out = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** The boot.py MicroPython's inisetup.py writes on first boot, per chip. */
/** @param {'esp8266' | 'esp32'} chip */
export function defaultBootPy(chip) {
  return chip === 'esp8266'
    ? '# This file is executed on every boot (including wake-boot from deepsleep)\n' +
        '#import esp\n#esp.osdebug(None)\nimport os, machine\n' +
        '#os.dupterm(None, 1) # disable REPL on UART(0)\nimport gc\n#import webrepl\n#webrepl.start()\ngc.collect()\n'
    : '# This file is executed on every boot (including wake-boot from deepsleep)\n' +
        '#import esp\n#esp.osdebug(None)\n#import webrepl\n#webrepl.start()\n';
}
