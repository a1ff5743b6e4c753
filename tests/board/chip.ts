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
  uartClkdivReg: number;
  /** crystal MHz and esptool's XTAL_CLK_DIVIDER: clkdiv = xtal × 1e6 × divider ÷ baud */
  xtalMhz: number;
  xtalDivider: number;
  /** ROM banner line and ROM baud for boot messages */
  romBaud: number;
  /** status bytes at the end of a ROM response (serial-protocol docs: ESP8266 2, ESP32 4) */
  romStatusLen: 2 | 4;
  /** USB-UART bridge on the usual dev board, for getInfo() */
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
};

export const CHIP_DETECT_MAGIC_REG_ADDR = 0x40001000;
const ESP8266_EFUSE_BASE = 0x3ff00050;
const ESP32_EFUSE_BASE = 0x3ff5a000;
const ESP32_APB_CTL_DATE = 0x3ff66000 + 0x7c;

// SPI user-command interface (ESP8266/ESP32 TRM "SPI" chapter; esptool run_spiflash_command)
const SPI_CMD_USR = 1 << 18;
const SPI_USR2_OFFS = 0x24;
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
    const command = (this.regs.get(base + SPI_USR2_OFFS) ?? 0) & 0xff;
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
