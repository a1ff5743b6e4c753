// What an ESP firmware file says about itself, and the checks made before anything is erased.
// Header layout from esptool's "Firmware Image Format" docs: byte 0 magic 0xE9, byte 1 segment
// count, byte 2 SPI mode, byte 3 size (high nibble) and frequency (low nibble), bytes 4–7 entry.
// ESP32-family images follow with a 16-byte extended header whose bytes 12–13 (of the file) are
// the chip id and byte 23 says whether a SHA-256 digest is appended. ESP8266 images have none:
// bytes 8–11 are already the first segment's load address.
import type { ChipFamily } from './chips.ts';

export const ESP_IMAGE_MAGIC = 0xe9;

/** esptool's ESPXX.IMAGE_CHIP_ID values for the chips Nyala flashes. */
const CHIP_IDS: Readonly<Record<number, ChipFamily>> = { 0: 'esp32', 2: 'esp32s2', 5: 'esp32c3', 9: 'esp32s3' };

/** Where each chip's ROM looks for the first image. */
export const BOOT_OFFSET: Readonly<Record<ChipFamily, number>> = {
  esp8266: 0x0,
  esp32: 0x1000,
  esp32s2: 0x1000,
  esp32s3: 0x0,
  esp32c3: 0x0,
};

export type ImageProblem =
  | { code: 'empty' }
  | { code: 'html' }
  | { code: 'not-an-image'; firstByte: number }
  | { code: 'unknown-chip'; chipId: number }
  | { code: 'wrong-chip'; imageChip: ChipFamily; boardChip: ChipFamily }
  | { code: 'too-big'; end: number; flashSize: number }
  | { code: 'corrupt-download'; expected: string; actual: string };

export interface ImageInfo {
  chip: ChipFamily;
  size: number;
  segments: number;
}

/** The chip an image is built for, or the reason it is not an ESP image. */
export function readImage(bytes: Uint8Array): ImageInfo | ImageProblem {
  if (bytes.length === 0) return { code: 'empty' };
  if (looksLikeHtml(bytes)) return { code: 'html' };
  if (bytes[0] !== ESP_IMAGE_MAGIC || bytes.length < 24) return { code: 'not-an-image', firstByte: bytes[0] ?? 0 };
  const segments = bytes[1] ?? 0;
  const firstLoad = u32(bytes, 8);
  if (isEsp8266Address(firstLoad)) return { chip: 'esp8266', size: bytes.length, segments };
  const chipId = (bytes[12] ?? 0) | ((bytes[13] ?? 0) << 8);
  const chip = CHIP_IDS[chipId];
  if (!chip) return { code: 'unknown-chip', chipId };
  return { chip, size: bytes.length, segments };
}

/** Every check that must pass before the flash is touched; the first problem found, or null. */
export function checkImage(bytes: Uint8Array, board: { chip: ChipFamily; flashSize: number }, offset = BOOT_OFFSET[board.chip]): ImageProblem | null {
  const info = readImage(bytes);
  if ('code' in info) return info;
  if (info.chip !== board.chip) return { code: 'wrong-chip', imageChip: info.chip, boardChip: board.chip };
  const end = offset + bytes.length;
  if (end > board.flashSize) return { code: 'too-big', end, flashSize: board.flashSize };
  return null;
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  // A "Save page as" of a download page, or a captive portal's answer instead of the file.
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, 512)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<head') || (head.startsWith('<') && head.includes('<body'));
}

/** ESP8266 memory map (esptool's ESP8266ROM.MEMORY_MAP): DRAM, IRAM and the flash-mapped IROM. */
function isEsp8266Address(a: number): boolean {
  return (a >= 0x3ffe8000 && a < 0x40000000) || (a >= 0x40100000 && a < 0x40108000) || (a >= 0x40201010 && a < 0x402e1010);
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
}
