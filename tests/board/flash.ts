// The SPI NOR flash of the module: erase sets bytes to 0xFF, programming can only clear bits.
// Its bytes live in a SharedArrayBuffer so an application running in a worker (MicroPython's
// filesystem) reads and writes the same memory (see app.ts).
//
// Timing model (Winbond W25Q32JV datasheet, "AC Electrical Characteristics", typical values; the
// W25Q32 is the flash on most ESP-12 and ESP32-WROOM modules):
//   sector erase 4 KB   tSE  = 45 ms
//   block erase 64 KB   tBE2 = 150 ms
//   chip erase          tCE  = 10 s for 4 MB, taken as proportional to size: 2.5 s per MB
//   page program 256 B  tPP  = 0.4 ms
// All are board time: the board multiplies them by its timeScale.
//
// SPI_FLASH_MD5 (verify) reads the region and hashes it on the chip. A stated estimate, not a
// measurement: reading at the loader's 40 MHz SPI clock, one data line (W25Q32JV Read Data 03h,
// 5 MB/s) = 0.2 s per MB, plus MD5 in software at about 12 cycles a byte, 80 MHz on the ESP8266
// stub and both ESP32 loaders = 0.15 s per MB; the ESP32 ROM runs its CPU from the 40 MHz
// crystal (PLL not started), so its hashing takes twice that. esptool allows 8 s per MB
// (MD5_TIMEOUT_PER_MB in esptool and esptool-js). The ESP8266 ROM has no MD5 command.

import { chipFamily, type ChipName } from './app.ts';

export const SECTOR_SIZE = 0x1000;
export const BLOCK_SIZE = 0x10000;
export const PAGE_SIZE = 0x100;
export const SECTOR_ERASE_MS = 45;
export const BLOCK_ERASE_MS = 150;
export const CHIP_ERASE_MS_PER_MB = 2500;
export const PAGE_PROGRAM_MS = 0.4;
/** Reading at the loaders' 40 MHz SPI clock, one data line (Read Data 03h): 5 MB/s. */
export const READ_MS_PER_MB = 200;
/** Modelled ms per MB of SPI_FLASH_MD5 (read + hash), by chip and loader (see above). */
export const MD5_MS_PER_MB: Readonly<Record<'esp8266' | 'esp32', { rom?: number; stub: number }>> = {
  esp8266: { stub: READ_MS_PER_MB + 150 },
  esp32: { rom: READ_MS_PER_MB + 300, stub: READ_MS_PER_MB + 150 },
};

export function readTimeMs(bytes: number): number {
  return (READ_MS_PER_MB * bytes) / (1024 * 1024);
}

export function md5TimeMs(chip: ChipName, loader: 'rom' | 'stub', bytes: number, msPerMb?: number): number {
  const perMb = msPerMb ?? MD5_MS_PER_MB[chipFamily(chip)][loader] ?? MD5_MS_PER_MB[chipFamily(chip)].stub;
  return (perMb * bytes) / (1024 * 1024);
}

export const MIN_FLASH_SIZE = 512 * 1024;
export const MAX_FLASH_SIZE = 16 * 1024 * 1024;

/** Modelled time to erase `bytes` with the fewest operations (64 KB blocks where aligned). */
export function eraseTimeMs(offset: number, bytes: number): number {
  let ms = 0;
  let addr = offset - (offset % SECTOR_SIZE);
  const end = offset + bytes;
  while (addr < end) {
    if (addr % BLOCK_SIZE === 0 && end - addr >= BLOCK_SIZE) {
      ms += BLOCK_ERASE_MS;
      addr += BLOCK_SIZE;
    } else {
      ms += SECTOR_ERASE_MS;
      addr += SECTOR_SIZE;
    }
  }
  return ms;
}

export function chipEraseTimeMs(size: number): number {
  return (CHIP_ERASE_MS_PER_MB * size) / (1024 * 1024);
}

export function programTimeMs(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE) * PAGE_PROGRAM_MS;
}

export class NorFlash {
  readonly bytes: Uint8Array;
  /** Modelled milliseconds spent erasing since creation (board time, before timeScale). */
  eraseMs = 0;
  programMs = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(Math.log2(size)) || size < MIN_FLASH_SIZE || size > MAX_FLASH_SIZE) {
      throw new RangeError(`flash size must be a power of two from 512KB to 16MB, got ${size}`);
    }
    // A new chip from the reel is erased.
    this.bytes = new Uint8Array(new SharedArrayBuffer(size)).fill(0xff);
  }

  inRange(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  /** Erase whole sectors covering [offset, offset+length); returns the modelled time in ms. */
  erase(offset: number, length: number): number {
    const start = offset - (offset % SECTOR_SIZE);
    const end = Math.min(this.size, Math.ceil((offset + length) / SECTOR_SIZE) * SECTOR_SIZE);
    this.bytes.fill(0xff, start, end);
    const ms = eraseTimeMs(start, end - start);
    this.eraseMs += ms;
    return ms;
  }

  eraseChip(): number {
    this.bytes.fill(0xff);
    const ms = chipEraseTimeMs(this.size);
    this.eraseMs += ms;
    return ms;
  }

  /** NOR programming: a 1 bit can become 0, never the reverse. Returns the modelled time in ms. */
  program(offset: number, data: Uint8Array): number {
    for (let i = 0; i < data.length; i++) {
      const a = offset + i;
      this.bytes[a] = (this.bytes[a] ?? 0xff) & (data[i] ?? 0xff);
    }
    const ms = programTimeMs(data.length);
    this.programMs += ms;
    return ms;
  }

  read(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  isBlank(offset: number, length: number): boolean {
    for (let i = offset; i < offset + length; i++) if (this.bytes[i] !== 0xff) return false;
    return true;
  }
}
