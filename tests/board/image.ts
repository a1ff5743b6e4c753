// The ESP application image format (esptool docs "Firmware Image Format"): an 8-byte header
// (magic 0xE9, segment count, flash mode, flash size/frequency, entry point), on ESP32 a 16-byte
// extended header (its last byte says whether a SHA-256 is appended), then segments (load address,
// length, data), padding so the checksum byte ends a 16-byte line, the checksum (0xEF XOR every
// segment byte) and, where the extended header says so, the SHA-256 of everything before it.
//
// testImage() builds one image per chip, the same bytes every run (fixed seed), shaped like the
// MicroPython firmware for that chip and about as compressible (deflate level 9 ≈ 0.63 of the
// size; MicroPython 1.2x ESP8266/ESP32 builds compress to roughly 0.6–0.65).
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { ChipName } from './app.ts';
import { mulberry32 } from './prng.ts';

export const IMAGE_MAGIC = 0xe9;
const CHECKSUM_SEED = 0xef;

export interface Segment {
  addr: number;
  data: Uint8Array;
}

export interface ImageSpec {
  chip: ChipName;
  entry: number;
  segments: Segment[];
  /** byte 2: 0 qio, 1 qout, 2 dio, 3 dout */
  flashMode?: number;
  /** byte 3: size (high nibble) and frequency (low nibble) */
  sizeFreq?: number;
  /** ESP32: append the SHA-256 (default true) */
  sha?: boolean;
  /** the extended header's chip id instead of the chip's own (a wrong-chip image) */
  chipId?: number;
}

/** The extended header's chip_id (esptool IMAGE_CHIP_ID; ESP-IDF esp_chip_id_t). */
export const IMAGE_CHIP_ID: Readonly<Record<Exclude<ChipName, 'esp8266'>, number>> = { esp32: 0, esp32c3: 5, esp32s3: 9 };

export function buildImage(spec: ImageSpec): Uint8Array {
  const parts: number[] = [IMAGE_MAGIC, spec.segments.length, spec.flashMode ?? 2, spec.sizeFreq ?? 0x20];
  const push32 = (n: number): void => {
    parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  };
  push32(spec.entry);
  const sha = spec.chip !== 'esp8266' && (spec.sha ?? true);
  if (spec.chip !== 'esp8266') {
    // wp_pin 0xEE (disabled), drive settings 0, chip id (u16: ESP32 0, C3 5, S3 9), min rev 0,
    // min/max rev full 0 and 0xFFFF, 4 reserved bytes, hash_appended
    const id = spec.chipId ?? IMAGE_CHIP_ID[spec.chip];
    parts.push(0xee, 0, 0, 0, id & 0xff, id >> 8, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, sha ? 1 : 0);
  }
  let sum = CHECKSUM_SEED;
  const chunks: Uint8Array[] = [Uint8Array.from(parts)];
  let length = parts.length;
  for (const s of spec.segments) {
    if (s.data.length % 4 !== 0) throw new RangeError('segment length must be a multiple of 4');
    const h = new Uint8Array(8);
    new DataView(h.buffer).setUint32(0, s.addr, true);
    new DataView(h.buffer).setUint32(4, s.data.length, true);
    chunks.push(h, s.data);
    length += 8 + s.data.length;
    for (const b of s.data) sum ^= b;
  }
  const pad = 15 - (length % 16);
  const tail = new Uint8Array(pad + 1);
  tail[pad] = sum;
  chunks.push(tail);
  length += tail.length;
  const out = new Uint8Array(length + (sha ? 32 : 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  if (sha) out.set(createHash('sha256').update(out.subarray(0, length)).digest(), length);
  return out;
}

export type ImageCheck =
  | { ok: true; entry: number; segments: Array<{ addr: number; length: number; offset: number }>; checksum: number; length: number }
  | {
      ok: false;
      reason: 'magic' | 'segments' | 'checksum' | 'sha' | 'chip';
      detail: string;
      header: number;
      /** for 'checksum': what the ROM loaded before it compared */
      segments?: Array<{ addr: number; length: number; offset: number }>;
      checksum?: number;
      stored?: number;
    };

/** What the ROM checks before it jumps to an image in flash at `offset`. */
export function checkImage(chip: ChipName, flash: Uint8Array, offset: number): ImageCheck {
  const dv = new DataView(flash.buffer, flash.byteOffset, flash.byteLength);
  const header = offset + 4 <= flash.length ? dv.getUint32(offset, true) : 0xffffffff;
  if (flash[offset] !== IMAGE_MAGIC) return { ok: false, reason: 'magic', detail: 'bad magic', header };
  const count = flash[offset + 1] ?? 0;
  const entry = dv.getUint32(offset + 4, true);
  const hasSha = chip !== 'esp8266' && flash[offset + 23] === 1;
  let p = offset + (chip === 'esp8266' ? 8 : 24);
  let sum = CHECKSUM_SEED;
  const segments: Array<{ addr: number; length: number; offset: number }> = [];
  if (count === 0 || count > 16) return { ok: false, reason: 'segments', detail: `${count} segments`, header };
  if (chip !== 'esp8266') {
    // The ROM refuses an image built for another ESP32 variant (its chip id in the extended header).
    const id = dv.getUint16(offset + 12, true);
    if (id !== IMAGE_CHIP_ID[chip]) return { ok: false, reason: 'chip', detail: `Invalid chip id. Expected ${IMAGE_CHIP_ID[chip]} read ${id}. Bootloader for which chip?`, header };
  }
  for (let i = 0; i < count; i++) {
    if (p + 8 > flash.length) return { ok: false, reason: 'segments', detail: 'truncated', header };
    const addr = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true);
    if (len > 0x1000000 || p + 8 + len > flash.length) return { ok: false, reason: 'segments', detail: `segment ${i} length ${len}`, header };
    segments.push({ addr, length: len, offset: p + 8 });
    for (let k = p + 8; k < p + 8 + len; k++) sum ^= flash[k]!;
    p += 8 + len;
  }
  const csumAt = p + (15 - ((p - offset) % 16));
  const stored = flash[csumAt] ?? 0;
  if (stored !== sum) {
    return { ok: false, reason: 'checksum', detail: `csum err:0x${stored.toString(16)}!=0x${sum.toString(16)}`, header, segments, checksum: sum, stored };
  }
  const length = csumAt + 1 - offset;
  if (hasSha) {
    const digest = createHash('sha256').update(flash.subarray(offset, offset + length)).digest();
    const stored = flash.subarray(offset + length, offset + length + 32);
    if (!digest.equals(stored)) return { ok: false, reason: 'sha', detail: 'sha256 mismatch', header };
  }
  return { ok: true, entry, segments, checksum: sum, length: length + (hasSha ? 32 : 0) };
}

/** Bytes shaped like compiled code: literals with a skewed distribution and short back-references. */
function codeLike(rand: () => number, n: number): Uint8Array {
  // P(copy) = 0.11 gives deflate -9 ≈ 0.63 on a megabyte of this (measured when written).
  const out = new Uint8Array(n - (n % 4));
  let i = 0;
  while (i < out.length) {
    if (i > 64 && rand() < 0.11) {
      const len = 3 + Math.floor(rand() * rand() * 24);
      const dist = 1 + Math.floor(rand() * Math.min(i, 2048));
      for (let k = 0; k < len && i < out.length; k++, i++) out[i] = out[i - dist]!;
    } else {
      out[i++] = Math.floor(Math.pow(rand(), 1.6) * 256);
    }
  }
  return out;
}

/** Esp partition table entry (ESP-IDF "Partition Tables": magic AA 50, type, subtype, offset, size, label, flags). */
function partitionTable(): Uint8Array {
  const table = new Uint8Array(0xc00).fill(0xff);
  const rows: Array<[number, number, number, number, string]> = [
    [0x01, 0x02, 0x9000, 0x6000, 'nvs'],
    [0x01, 0x01, 0xf000, 0x1000, 'phy_init'],
    [0x00, 0x00, 0x10000, 0x1f0000, 'factory'],
    [0x01, 0x81, 0x200000, 0x200000, 'vfs'],
  ];
  rows.forEach(([type, sub, off, size, label], i) => {
    const e = table.subarray(i * 32, i * 32 + 32);
    const dv = new DataView(e.buffer, e.byteOffset, 32);
    e[0] = 0xaa;
    e[1] = 0x50;
    e[2] = type;
    e[3] = sub;
    dv.setUint32(4, off, true);
    dv.setUint32(8, size, true);
    e.fill(0, 12, 28);
    e.set(new TextEncoder().encode(label), 12);
    dv.setUint32(28, 0, true);
  });
  const md5Row = table.subarray(rows.length * 32, rows.length * 32 + 32);
  md5Row[0] = 0xeb;
  md5Row[1] = 0xeb;
  md5Row.set(createHash('md5').update(table.subarray(0, rows.length * 32)).digest(), 16);
  return table;
}

interface Esp32Layout {
  bootOffset: number;
  bootEntry: number;
  /** [load address, length] of the bootloader's segments */
  bootSegments: Array<[number, number]>;
  appEntry: number;
  drom: number;
  dram: number;
  iram: number;
  irom: number;
}

/**
 * Where each variant's images load, from the memory maps in esptool's targets (DROM, DRAM, IRAM,
 * IROM) and the load lines of MicroPython 1.2x boot logs; lengths are shaped alike for all three.
 */
const ESP32_LAYOUT: Readonly<Record<Exclude<ChipName, 'esp8266'>, Esp32Layout>> = {
  esp32: {
    bootOffset: 0x1000,
    bootEntry: 0x40080680,
    bootSegments: [[0x3fff0030, 4540], [0x40078000, 12788], [0x40080400, 4176]],
    appEntry: 0x40081000,
    drom: 0x3f400020,
    dram: 0x3ffb0000,
    iram: 0x40080000,
    irom: 0x400d0020,
  },
  esp32c3: {
    bootOffset: 0x0,
    bootEntry: 0x403cc71c,
    bootSegments: [[0x3fcd5820, 5904], [0x403cc710, 2064], [0x403ce710, 8932]],
    appEntry: 0x40380080,
    drom: 0x3c0c0020,
    dram: 0x3fc8e000,
    iram: 0x40380000,
    irom: 0x42000020,
  },
  esp32s3: {
    bootOffset: 0x0,
    bootEntry: 0x403c9908,
    bootSegments: [[0x3fce3818, 1100], [0x403c9700, 2980], [0x403cc700, 8888]],
    appEntry: 0x40375000,
    drom: 0x3c0f0020,
    dram: 0x3fc93000,
    iram: 0x40374000,
    irom: 0x42000020,
  },
};

/** Image size: a little under 1 MB so it also fits a 1 MB ESP8266. */
export const TEST_IMAGE_SIZE = 0xf8000;

const cache = new Map<ChipName, Uint8Array>();

/**
 * The shared test firmware for a chip, to be written at the chip's boot offset (ESP8266, ESP32-C3
 * and ESP32-S3 0x0, ESP32 0x1000). The ROM boots it; the board then runs its application (part 2: MicroPython).
 */
export function testImage(chip: ChipName): Uint8Array {
  const hit = cache.get(chip);
  if (hit) return hit;
  const rand = mulberry32({ esp8266: 0x8266, esp32: 0x32, esp32c3: 0x32c3, esp32s3: 0x32053 }[chip]);
  const out = new Uint8Array(TEST_IMAGE_SIZE).fill(0xff);
  if (chip === 'esp8266') {
    // MicroPython's esp8266 firmware: a ROM-loaded image of IRAM/DRAM segments, then the
    // flash-mapped irom0 text at 0x9000.
    const head = buildImage({
      chip,
      entry: 0x40100004,
      sizeFreq: 0x20,
      segments: [
        { addr: 0x40100000, data: codeLike(rand, 0x7a00) },
        { addr: 0x3ffe8000, data: codeLike(rand, 0x3b0) },
        { addr: 0x3ffe83b0, data: codeLike(rand, 0x438) },
      ],
    });
    out.set(head, 0);
    out.set(codeLike(rand, TEST_IMAGE_SIZE - 0x9000), 0x9000);
  } else {
    // MicroPython's esp32 firmware.bin starts at the boot offset (ESP32 0x1000, C3/S3 0x0): the
    // second-stage bootloader, the partition table at flash 0x8000 and the application at 0x10000.
    const L = ESP32_LAYOUT[chip];
    const boot = buildImage({
      chip,
      entry: L.bootEntry,
      segments: L.bootSegments.map(([addr, len]) => ({ addr, data: codeLike(rand, len) })),
    });
    out.set(boot, 0);
    out.set(partitionTable(), 0x8000 - L.bootOffset);
    const appAt = 0x10000 - L.bootOffset;
    const appRoom = TEST_IMAGE_SIZE - appAt - 0x100;
    const drom = Math.floor(appRoom * 0.3) & ~3;
    const app = buildImage({
      chip,
      entry: L.appEntry,
      segments: [
        { addr: L.drom, data: codeLike(rand, drom) },
        { addr: L.dram, data: codeLike(rand, 0x3000) },
        { addr: L.iram, data: codeLike(rand, 0x10000) },
        { addr: L.irom, data: codeLike(rand, appRoom - drom - 0x13000 - 0x40) },
      ],
    });
    out.set(app, appAt);
  }
  cache.set(chip, out);
  return out;
}

/** Compressed ÷ raw size at deflate level 9, as esptool-js compresses. */
export function deflateRatio(data: Uint8Array): number {
  return deflateSync(data, { level: 9 }).length / data.length;
}
