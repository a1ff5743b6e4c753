// What each ROM prints on its UART after reset, at the ROM's baud (ESP8266: 74880 with its 26 MHz
// crystal; ESP32: 115200). Wording from boot logs of real boards as quoted in esptool and
// MicroPython issue reports (e.g. "ets Jan  8 2013,rst cause:2, boot mode:(3,6)", "rst:0x1
// (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", "invalid header: 0xffffffff"; ESP32-C3/S3:
// "ESP-ROM:esp32c3-api1-20210207", "rst:0x15 (USB_UART_CHIP_RESET),boot:0xc (SPI_FAST_FLASH_BOOT)").
import type { ChipName } from './app.ts';
import type { ImageCheck } from './image.ts';

export type ResetCause = 'power-on' | 'external' | 'software' | 'watchdog';

const hex = (n: number, width = 0): string => '0x' + (n >>> 0).toString(16).padStart(width, '0');

function esp8266Cause(cause: ResetCause): number {
  // rst cause: 1 power on, 2 external (EN pin), 4 watchdog; a software restart also reads 2
  return cause === 'power-on' ? 1 : cause === 'watchdog' ? 4 : 2;
}

function esp32Cause(cause: ResetCause): string {
  switch (cause) {
    case 'power-on':
    case 'external':
      // The EN pin resets the chip like power-on.
      return 'rst:0x1 (POWERON_RESET)';
    case 'software':
      return 'rst:0xc (SW_CPU_RESET)';
    case 'watchdog':
      return 'rst:0x10 (RTCWDT_RTC_RESET)';
  }
}

/**
 * The ESP32-C3 and -S3 ROMs (ESP-ROM) print a build line and their own reset causes; a reset by
 * the USB-Serial-JTAG peripheral (esptool's sequence through RTS/DTR) reads USB_UART_CHIP_RESET.
 */
const ESP_ROM: Partial<Record<ChipName, { build: string; download: string; flash: string }>> = {
  esp32c3: { build: 'ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n', download: 'boot:0x5 (DOWNLOAD(USB/UART0/1))', flash: 'boot:0xc (SPI_FAST_FLASH_BOOT)' },
  esp32s3: { build: 'ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n', download: 'boot:0x0 (DOWNLOAD(USB/UART0))', flash: 'boot:0x8 (SPI_FAST_FLASH_BOOT)' },
};

function espRomCause(cause: ResetCause, usb: boolean): string {
  switch (cause) {
    case 'power-on':
      return 'rst:0x1 (POWERON)';
    case 'external':
      return usb ? 'rst:0x15 (USB_UART_CHIP_RESET)' : 'rst:0x1 (POWERON)';
    case 'software':
      return 'rst:0xc (RTC_SW_CPU_RST)';
    case 'watchdog':
      return 'rst:0x10 (RTCWDT_RTC_RST)';
  }
}

export function downloadBanner(chip: ChipName, cause: ResetCause, usb = false): string {
  const rom = ESP_ROM[chip];
  if (rom) return `${rom.build}${espRomCause(cause, usb)},${rom.download}\r\nSaved PC:0x40048b82\r\nwaiting for download\r\n`;
  if (chip === 'esp8266') return `\r\n ets Jan  8 2013,rst cause:${esp8266Cause(cause)}, boot mode:(1,7)\r\n\r\n`;
  return `ets Jun  8 2016 00:22:57\r\n\r\n${esp32Cause(cause)},boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n`;
}

export function flashBootBanner(chip: ChipName, cause: ResetCause, usb = false): string {
  const rom = ESP_ROM[chip];
  if (rom) return `${rom.build}${espRomCause(cause, usb)},${rom.flash}\r\nSPIWP:0xee\r\nmode:DIO, clock div:1\r\n`;
  if (chip === 'esp8266') return `\r\n ets Jan  8 2013,rst cause:${esp8266Cause(cause)}, boot mode:(3,6)\r\n\r\n`;
  return (
    `ets Jun  8 2016 00:22:57\r\n\r\n${esp32Cause(cause)},boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n` +
    'configsip: 0, SPIWP:0xee\r\n' +
    'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n' +
    'mode:DIO, clock div:2\r\n'
  );
}

/** The segment-by-segment load report, printed as the ROM copies a valid image. */
export function loadLines(
  chip: ChipName,
  image: { segments: Array<{ addr: number; length: number; offset: number }>; entry?: number; stored: number },
  imageOffset: number,
  flash: Uint8Array,
): string {
  let s = '';
  if (chip === 'esp8266') {
    // The ESP8266 ROM reads flash 16 bytes at a time: "room" is what is left of the buffer when a
    // segment starts, "tail" what its last read used, "chksum" the running checksum.
    let sum = 0xef;
    for (const seg of image.segments) {
      const p = seg.offset - imageOffset;
      for (let i = seg.offset; i < seg.offset + seg.length; i++) sum ^= flash[i]!;
      s += `load ${hex(seg.addr, 8)}, len ${seg.length}, room ${16 - (p % 16)} \r\ntail ${(p + seg.length) % 16}\r\nchksum ${hex(sum, 2)}\r\n`;
    }
    // "csum" is the checksum stored in the image; a board whose last chksum differs stops here.
    return s + `csum ${hex(image.stored, 2)}\r\n`;
  }
  // ESP-ROM (C3, S3) prints the length in hex, the ESP32 ROM in decimal.
  const len = (n: number): string => (ESP_ROM[chip] ? hex(n) : String(n));
  for (const seg of image.segments) s += `load:${hex(seg.addr, 8)},len:${len(seg.length)}\r\n`;
  return s + `entry ${hex(image.entry ?? 0, 8)}\r\n`;
}

/** What a board with no valid image at its boot offset prints before its watchdog resets it. */
export function bootFailure(chip: ChipName, image: Extract<ImageCheck, { ok: false }>, imageOffset: number, flash: Uint8Array): string {
  if (chip === 'esp8266') {
    // With a bad checksum the ROM has already loaded and reported the segments; either way it
    // does not jump and the hardware watchdog resets it.
    if (image.reason === 'checksum' && image.segments && image.stored !== undefined) {
      return loadLines(chip, { segments: image.segments, stored: image.stored }, imageOffset, flash);
    }
    return 'ets_main.c \r\n';
  }
  if (image.reason === 'magic') return `invalid header: ${hex(image.header, 8)}\r\n`;
  if (image.reason === 'chip') return `${image.detail}\r\nets_main.c 371 \r\n`;
  if (image.reason === 'checksum') return `${image.detail}\r\nets_main.c 371 \r\n`;
  return `flash read err, 1000\r\nets_main.c 371 \r\n`;
}
