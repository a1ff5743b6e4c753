// Serial bootloader protocol constants (esptool docs "Serial Protocol"; esptool loader.py ESP_CMDS;
// esp-flasher-stub src/commands.h for the stub's response codes).

export const Op = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
} as const;

/** ROM loader error byte (docs, "ROM Loader Errors"), sent after status byte 1. */
export const RomError = {
  INVALID_PARAMETER: 0x01,
  INVALID_MESSAGE: 0x05,
  FAILED: 0x06,
  CHECKSUM: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  DEFLATE: 0x0b,
} as const;

/** Stub response codes, sent big-endian as the two status bytes (esp-flasher-stub commands.h). */
export const StubCode = {
  SUCCESS: 0x0000,
  BAD_DATA_LEN: 0xc000,
  BAD_DATA_CHECKSUM: 0xc100,
  BAD_BLOCKSIZE: 0xc200,
  INVALID_COMMAND: 0xc300,
  FAILED_SPI_OP: 0xc400,
  NOT_IN_FLASH_MODE: 0xc600,
  INFLATE_ERROR: 0xc700,
  NOT_ENOUGH_DATA: 0xc800,
  TOO_MUCH_DATA: 0xc900,
  CMD_NOT_IMPLEMENTED: 0xff00,
} as const;

export const CHECKSUM_SEED = 0xef;
/** SYNC payload: 07 07 12 20 then 32 × 0x55 */
export const SYNC_PAYLOAD = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);
/** The ROM answers SYNC with this in the value field (seen in every esptool trace). */
export const ROM_SYNC_VALUE = 0x20120707;
/** The stub's greeting after MEM_END jumps into it. */
export const OHAI = Uint8Array.from([0x4f, 0x48, 0x41, 0x49]);

export interface Command {
  op: number;
  checksum: number;
  data: Uint8Array;
  /** size field of the header; differs from data.length in a malformed frame */
  size: number;
}

export function parseCommand(frame: Uint8Array): Command | undefined {
  if (frame.length < 8 || frame[0] !== 0x00) return undefined;
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return { op: frame[1]!, size: dv.getUint16(2, true), checksum: dv.getUint32(4, true), data: frame.subarray(8) };
}

export function response(op: number, value: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const dv = new DataView(out.buffer);
  out[0] = 0x01;
  out[1] = op;
  dv.setUint16(2, body.length, true);
  dv.setUint32(4, value >>> 0, true);
  out.set(body, 8);
  return out;
}

export function checksum(data: Uint8Array): number {
  let c = CHECKSUM_SEED;
  for (const b of data) c ^= b;
  return c;
}

export function u32(data: Uint8Array, index: number): number {
  const o = index * 4;
  return ((data[o] ?? 0) | ((data[o + 1] ?? 0) << 8) | ((data[o + 2] ?? 0) << 16) | ((data[o + 3] ?? 0) << 24)) >>> 0;
}

export function le32(n: number): Uint8Array {
  return Uint8Array.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}
