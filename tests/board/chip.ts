// What each chip shows esptool through READ_REG: the magic word, the eFuse words holding the MAC and
// the chip description, the UART clock divider (crystal detection) and the SPI peripheral behind
// the flash-id read. Addresses and bit positions are esptool's (esptool/targets/esp8266.py and
// esp32.py; esptool-js lib/targets/*.js reads the same ones).
import type { ChipName } from './app.ts';

export interface ChipSpec {
  name: ChipName;
  /** CHIP_DETECT_MAGIC_REG_ADDR (0x40001000) reads this (esptool CHIP_DETECT_MAGIC_VALUE) */
  magic: number;
  /** where the ROM looks for the first-stage image */
  bootOffset: number;
  /** SPI0 register block (esptool SPI_REG_BASE) and the offsets esptool uses */
  spiBase: number;
  spiW0: number;
  /** esptool SPI_USR2_OFFS: where the command byte of a user command goes */
  spiUsr2: number;
  uartClkdivReg: number;
  /** crystal MHz and esptool's XTAL_CLK_DIVIDER: clkdiv = xtal × 1e6 × divider ÷ baud */
  xtalMhz: number;
  xtalDivider: number;
  /** ROM banner line and ROM baud for boot messages */
  romBaud: number;
  /** status bytes at the end of a ROM response (serial-protocol docs: ESP8266 2, ESP32 4, later ROMs 2) */
  romStatusLen: 2 | 4;
  /**
   * GET_SECURITY_INFO's chip_id (esptool IMAGE_CHIP_ID), on ROMs that have the command (ESP32-C3,
   * -S3 and later); esptool and esptool-js detect these chips by it instead of the magic word.
   */
  securityChipId?: number;
  /** the USB ids of the usual dev board's port (a USB-UART bridge, or the chip's own USB), for getInfo() */
  usb: { usbVendorId: number; usbProductId: number };
  defaultMac: string;
}

export const CHIPS: Record<ChipName, ChipSpec> = {
  esp8266: {
    name: 'esp8266',
    magic: 0xfff0c101,
    bootOffset: 0x0,
    spiBase: 0x60000200,
    spiW0: 0x40,
    spiUsr2: 0x24,
    uartClkdivReg: 0x60000014,
    xtalMhz: 26,
    xtalDivider: 2,
    // 26 MHz crystal: the ROM's 115200 setting comes out at 115200 × 26/40 = 74880 baud.
    romBaud: 74880,
    romStatusLen: 2,
    // NodeMCU v3 boards carry a WCH CH340.
    usb: { usbVendorId: 0x1a86, usbProductId: 0x7523 },
    // Espressif OUI 5C:CF:7F
    defaultMac: '5c:cf:7f:3f:9a:2c',
  },
  esp32: {
    name: 'esp32',
    magic: 0x00f01d83,
    bootOffset: 0x1000,
    spiBase: 0x3ff42000,
    spiW0: 0x80,
    spiUsr2: 0x24,
    uartClkdivReg: 0x3ff40014,
    xtalMhz: 40,
    xtalDivider: 1,
    romBaud: 115200,
    romStatusLen: 4,
    // ESP32-DevKitC carries a Silicon Labs CP2102.
    usb: { usbVendorId: 0x10c4, usbProductId: 0xea60 },
    // Espressif OUI 24:0A:C4
    defaultMac: '24:0a:c4:3f:9a:2c',
  },
  // esptool targets/esp32c3.py (esptool-js lib/targets/esp32c3.js): no magic-word detection
  // (chip id 5 through GET_SECURITY_INFO), eFuse block 1 at 0x60008800 + 0x44, SPI1 at 0x60002000.
  esp32c3: {
    name: 'esp32c3',
    // esptool's CHIP_DETECT_MAGIC_VALUE list for ECO3 (read only by tools that still use it)
    magic: 0x1b31506f,
    bootOffset: 0x0,
    spiBase: 0x60002000,
    spiW0: 0x58,
    spiUsr2: 0x20,
    uartClkdivReg: 0x60000014,
    xtalMhz: 40,
    xtalDivider: 1,
    romBaud: 115200,
    romStatusLen: 2,
    securityChipId: 5,
    // ESP32-C3 boards (ESP32-C3-DevKitM-1's USB port, the SuperMini) use the chip's own
    // USB-Serial-JTAG: Espressif's vendor id, product 0x1001.
    usb: { usbVendorId: 0x303a, usbProductId: 0x1001 },
    // Espressif OUI 34:85:18
    defaultMac: '34:85:18:3f:9a:2c',
  },
  // esptool targets/esp32s3.py: chip id 9, eFuse block 1 at 0x60007000 + 0x44.
  esp32s3: {
    name: 'esp32s3',
    magic: 0x9,
    bootOffset: 0x0,
    spiBase: 0x60002000,
    spiW0: 0x58,
    spiUsr2: 0x20,
    uartClkdivReg: 0x60000014,
    xtalMhz: 40,
    xtalDivider: 1,
    romBaud: 115200,
    romStatusLen: 2,
    securityChipId: 9,
    // ESP32-S3-DevKitC-1's "UART" connector: a Silicon Labs CP2102N. Its "USB" connector is the
    // chip's USB-Serial-JTAG (resetCircuit: 'usb-serial-jtag').
    usb: { usbVendorId: 0x10c4, usbProductId: 0xea60 },
    // Espressif OUI F4:12:FA
    defaultMac: 'f4:12:fa:3f:9a:2c',
  },
};

/** GET_SECURITY_INFO's API version on these ROMs (esptool prints it as "eco version"). */
export const SECURITY_INFO_API_VERSION = 3;

export const CHIP_DETECT_MAGIC_REG_ADDR = 0x40001000;
const ESP8266_EFUSE_BASE = 0x3ff00050;
const ESP32_EFUSE_BASE = 0x3ff5a000;
const ESP32_APB_CTL_DATE = 0x3ff66000 + 0x7c;
/** eFuse block 1 (MAC, package, revision) of the newer chips: EFUSE_BASE + 0x44 */
const EFUSE_BLOCK1: Partial<Record<ChipName, number>> = { esp32c3: 0x60008800 + 0x44, esp32s3: 0x60007000 + 0x44 };

// SPI user-command interface (ESP8266/ESP32 TRM "SPI" chapter; esptool run_spiflash_command)
const SPI_CMD_USR = 1 << 18;
const SPIFLASH_RDID = 0x9f;
/** Winbond: manufacturer 0xEF, memory type 0x40 (W25Q series) */
const JEDEC_MANUFACTURER = 0xef;
const JEDEC_MEMORY_TYPE = 0x40;

export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/).map((p) => parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`bad MAC ${mac}`);
  }
  return Uint8Array.from(parts);
}

/** eFuse words as the chip has them, for the given MAC. */
function efuseWords(chip: ChipName, mac: Uint8Array): Map<number, number> {
  const m = (i: number): number => mac[i] ?? 0;
  const words = new Map<number, number>();
  if (chip === 'esp8266') {
    // esptool ESP8266ROM.read_mac: OUI from word 3 when non-zero, then mac1 bits 15..0 and
    // mac0 bits 31..24. ESP8285 flags (word0 bit 4, word2 bit 16) stay clear.
    words.set(ESP8266_EFUSE_BASE + 0, (m(5) << 24) >>> 0);
    words.set(ESP8266_EFUSE_BASE + 4, (m(3) << 8) | m(4));
    words.set(ESP8266_EFUSE_BASE + 8, 0);
    words.set(ESP8266_EFUSE_BASE + 12, (m(0) << 16) | (m(1) << 8) | m(2));
  } else if (chip === 'esp32c3' || chip === 'esp32s3') {
    // esptool ESP32C3ROM/ESP32S3ROM.read_mac: block-1 word 0 = MAC bytes 2..5, word 1 bits 15..0 =
    // MAC bytes 0..1. Word 3 bits 20..18 and word 5 bit 23 make the minor revision, word 5 bits
    // 25..24 the major one: v0.4 on the C3 (ECO3, what boards sell with), v0.2 on the S3; package 0
    // (QFN32 / QFN56).
    const b1 = EFUSE_BLOCK1[chip]!;
    words.set(b1, ((m(2) << 24) | (m(3) << 16) | (m(4) << 8) | m(5)) >>> 0);
    words.set(b1 + 4, (m(0) << 8) | m(1));
    if (chip === 'esp32c3') {
      words.set(b1 + 12, 4 << 18);
    } else {
      words.set(b1 + 12, 2 << 18);
      // the S3's block-2 version (eFuse BLK_VERSION_MAJOR 1) says the minor is not ECO0's
      words.set(0x60007000 + 0x5c + 16, 1 << 0);
    }
  } else {
    // esptool ESP32ROM.read_mac: word1 = MAC bytes 2..5, word2 bits 15..0 = MAC bytes 0..1.
    words.set(ESP32_EFUSE_BASE + 4, ((m(2) << 24) | (m(3) << 16) | (m(4) << 8) | m(5)) >>> 0);
    words.set(ESP32_EFUSE_BASE + 8, (m(0) << 8) | m(1));
    // word3: package 1 (ESP32-D0WD) in bits 11..9, chip revision bit 15 → with word5 bit 20 and
    // APB_CTL_DATE bit 31 that is revision 3: "ESP32-D0WD-V3 (revision 3)".
    words.set(ESP32_EFUSE_BASE + 12, (1 << 9) | (1 << 15));
    words.set(ESP32_EFUSE_BASE + 20, 1 << 20);
  }
  return words;
}

/** Register space as seen through READ_REG / WRITE_REG. Unknown addresses read as 0. */
export class Registers {
  private regs = new Map<number, number>();

  constructor(
    readonly spec: ChipSpec,
    mac: Uint8Array,
    private readonly flashSize: number,
    /** current UART baud of the board end, for the clock divider */
    private readonly uartBaud: () => number,
  ) {
    for (const [a, v] of efuseWords(spec.name, mac)) this.regs.set(a, v);
    this.regs.set(CHIP_DETECT_MAGIC_REG_ADDR, spec.magic);
    if (spec.name === 'esp32') this.regs.set(ESP32_APB_CTL_DATE, 0x80000000);
  }

  read(addr: number): number {
    addr >>>= 0;
    if (addr === this.spec.uartClkdivReg) {
      return Math.round((this.spec.xtalMhz * 1e6 * this.spec.xtalDivider) / this.uartBaud()) & 0xfffff;
    }
    return (this.regs.get(addr) ?? 0) >>> 0;
  }

  write(addr: number, value: number, mask: number): void {
    addr >>>= 0;
    const old = this.regs.get(addr) ?? 0;
    const v = ((value & mask) | (old & ~mask)) >>> 0;
    this.regs.set(addr, v);
    if (addr === this.spec.spiBase && (v & SPI_CMD_USR) !== 0) this.runSpiUserCommand();
  }

  /** The SPI peripheral executes the user command at once and clears SPI_CMD_USR when done. */
  private runSpiUserCommand(): void {
    const base = this.spec.spiBase;
    const command = (this.regs.get(base + this.spec.spiUsr2) ?? 0) & 0xff;
    let w0 = 0;
    if (command === SPIFLASH_RDID) {
      // JEDEC capacity byte is log2(size): 0x13 = 512 KB … 0x16 = 4 MB … 0x18 = 16 MB.
      const capacity = Math.log2(this.flashSize);
      w0 = JEDEC_MANUFACTURER | (JEDEC_MEMORY_TYPE << 8) | (capacity << 16);
    }
    this.regs.set(base + this.spec.spiW0, w0);
    this.regs.set(base, (this.regs.get(base) ?? 0) & ~SPI_CMD_USR);
  }
}
