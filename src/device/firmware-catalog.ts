// The official MicroPython images Nyala offers, one list in one file: a version bump is one edit.
// File names follow micropython.org/download (BOARD[-VARIANT]-DATE-vVERSION.bin); offsets are
// where each chip's ROM looks for the bootloader (ESP8266 and the S3/C3 at 0x0, ESP32 and S2 at
// 0x1000), as MicroPython's download pages give them.
import type { ChipFamily } from './chips.ts';

export const MICROPYTHON_VERSION = '1.27.0';
export const MICROPYTHON_DATE = '20251209';
export const FIRMWARE_SOURCE = 'https://micropython.org/resources/firmware/';

export interface CatalogEntry {
  /** MicroPython's board id, with the variant where there is one */
  id: string;
  chip: ChipFamily;
  file: string;
  offset: number;
  /** the smallest flash the image is built for, in bytes */
  minFlash: number;
}

const MB = 1024 * 1024;
const name = (board: string) => `${board}-${MICROPYTHON_DATE}-v${MICROPYTHON_VERSION}.bin`;

export const CATALOG: readonly CatalogEntry[] = [
  { id: 'ESP8266_GENERIC', chip: 'esp8266', file: name('ESP8266_GENERIC'), offset: 0x0, minFlash: 2 * MB },
  { id: 'ESP8266_GENERIC-FLASH_1M', chip: 'esp8266', file: name('ESP8266_GENERIC-FLASH_1M'), offset: 0x0, minFlash: 1 * MB },
  { id: 'ESP8266_GENERIC-FLASH_512K', chip: 'esp8266', file: name('ESP8266_GENERIC-FLASH_512K'), offset: 0x0, minFlash: MB / 2 },
  { id: 'ESP32_GENERIC', chip: 'esp32', file: name('ESP32_GENERIC'), offset: 0x1000, minFlash: 4 * MB },
  { id: 'ESP32_GENERIC_S2', chip: 'esp32s2', file: name('ESP32_GENERIC_S2'), offset: 0x1000, minFlash: 4 * MB },
  { id: 'ESP32_GENERIC_S3', chip: 'esp32s3', file: name('ESP32_GENERIC_S3'), offset: 0x0, minFlash: 8 * MB },
  { id: 'ESP32_GENERIC_C3', chip: 'esp32c3', file: name('ESP32_GENERIC_C3'), offset: 0x0, minFlash: 4 * MB },
];

/** What `npm run firmware:fetch` writes beside the images, and the app reads. */
export interface FirmwareManifest {
  version: string;
  images: (CatalogEntry & { size: number; sha256: string })[];
}
