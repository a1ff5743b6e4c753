// The ROM serial bootloader of each chip, as esptool sees it without the stub.
//
// Commands each ROM knows (esptool docs "Serial Protocol", per-chip command tables; esptool marks
// the rest @stub_function_only / ESP32ROM-only): the ESP8266 ROM has FLASH_BEGIN/DATA/END,
// MEM_BEGIN/DATA/END, SYNC, WRITE_REG, READ_REG; the ESP32 ROM adds SPI_SET_PARAMS, SPI_ATTACH,
// CHANGE_BAUDRATE, FLASH_DEFL_BEGIN/DATA/END and SPI_FLASH_MD5. Neither has GET_SECURITY_INFO or
// the 0xD0… stub commands; the ESP32-C3 and -S3 ROMs have GET_SECURITY_INFO, whose 20-byte answer
// (flags, flash_crypt_cnt, 7 key purposes, chip_id, api_version) is how esptool tells them apart.
//
// An unknown command gets the "invalid message" answer (status 1, error 0x05) eight times, in a
// response whose command byte is not the request's: esptool's loader.py recognises an unsupported
// command by exactly that and drains the eight 14-byte repeats ("Unsupported command response is
// sent 8 times and has 14 bytes length including delimiter 0xC0 bytes").
import { createHash } from 'node:crypto';
import type { ChipName } from './app.ts';
import { SECURITY_INFO_API_VERSION } from './chip.ts';
import { SECTOR_SIZE } from './flash.ts';
import { StreamInflater } from './inflater.ts';
import { FrameLoop, type LoaderHost } from './loader.ts';
import { Op, ROM_SYNC_VALUE, RomError, SYNC_PAYLOAD, checksum, parseCommand, response, u32, type Command } from './protocol.ts';

const ESP32_ROM_COMMANDS = [
  Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_END, Op.MEM_BEGIN, Op.MEM_END, Op.MEM_DATA, Op.SYNC, Op.WRITE_REG, Op.READ_REG,
  Op.SPI_SET_PARAMS, Op.SPI_ATTACH, Op.CHANGE_BAUDRATE, Op.FLASH_DEFL_BEGIN, Op.FLASH_DEFL_DATA, Op.FLASH_DEFL_END, Op.SPI_FLASH_MD5,
];
const ROM_COMMANDS: Record<ChipName, ReadonlySet<number>> = {
  esp8266: new Set([Op.FLASH_BEGIN, Op.FLASH_DATA, Op.FLASH_END, Op.MEM_BEGIN, Op.MEM_END, Op.MEM_DATA, Op.SYNC, Op.WRITE_REG, Op.READ_REG]),
  esp32: new Set(ESP32_ROM_COMMANDS),
  // The ESP32-C3 and -S3 ROMs add GET_SECURITY_INFO (docs: "supported by ESP32-S2 and later").
  esp32c3: new Set([...ESP32_ROM_COMMANDS, Op.GET_SECURITY_INFO]),
  esp32s3: new Set([...ESP32_ROM_COMMANDS, Op.GET_SECURITY_INFO]),
};

const UNSUPPORTED_REPEATS = 8;

/**
 * The ESP8266 ROM misreads FLASH_BEGIN's erase size (esptool ESP8266ROM.get_erase_size is the
 * inverse of this): asked for n sectors it erases 2n while that stays inside the first 64 KB block,
 * else n plus the sectors up to that block's end.
 */
export function esp8266RomEraseSectors(offset: number, size: number): number {
  const n = Math.ceil(size / SECTOR_SIZE);
  const head = 16 - ((offset / SECTOR_SIZE) % 16);
  return n < head ? 2 * n : n + head;
}

interface Download {
  offset: number;
  blockSize: number;
  blocks: number;
  /** end of the region FLASH_BEGIN prepared */
  end: number;
  inflater?: StreamInflater;
  written: number;
}

export class RomLoader extends FrameLoop {
  private value = 0;
  private synced = false;
  private download: Download | undefined;
  private mem: { offset: number; size: number; segments: Array<{ addr: number; data: Uint8Array }> } | undefined;
  private loaded: Array<{ addr: number; size: number }> = [];

  constructor(host: LoaderHost) {
    super(host);
  }

  protected async start(): Promise<void> {
    // The ROM re-locks its UART to the host's rate from the SYNC frames.
    this.host.setAutobaud(true);
  }

  private status(op: number, error: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
    const len = this.host.spec.romStatusLen;
    const s = new Uint8Array(body.length + len);
    s.set(body);
    s[body.length] = error === 0 ? 0 : 1;
    s[body.length + 1] = error;
    return response(op, this.value, s);
  }

  private ok(op: number, body?: Uint8Array): Promise<void> {
    return this.sendFrame(this.status(op, 0, body));
  }

  private fail(op: number, error: number): Promise<void> {
    return this.sendFrame(this.status(op, error));
  }

  protected async handle(frame: Uint8Array): Promise<void> {
    const cmd = parseCommand(frame);
    if (!cmd || cmd.size !== cmd.data.length || !ROM_COMMANDS[this.host.spec.name].has(cmd.op)) {
      for (let i = 0; i < UNSUPPORTED_REPEATS; i++) await this.sendFrame(this.status(0x00, RomError.INVALID_MESSAGE));
      return;
    }
    await this.dispatch(cmd);
  }

  private async dispatch(cmd: Command): Promise<void> {
    const { op, data } = cmd;
    switch (op) {
      case Op.SYNC: {
        if (data.length !== SYNC_PAYLOAD.length || !data.every((b, i) => b === SYNC_PAYLOAD[i])) {
          return this.fail(op, RomError.INVALID_MESSAGE);
        }
        if (!this.synced) {
          this.synced = true;
          this.host.setAutobaud(false);
        }
        this.value = ROM_SYNC_VALUE;
        for (let i = 0; i < 8; i++) await this.ok(op);
        return;
      }
      case Op.READ_REG:
        if (data.length !== 4) return this.fail(op, RomError.INVALID_MESSAGE);
        this.value = this.host.regs.read(u32(data, 0));
        return this.ok(op);
      case Op.WRITE_REG: {
        if (data.length === 0 || data.length % 16 !== 0) return this.fail(op, RomError.INVALID_MESSAGE);
        for (let i = 0; i < data.length / 16; i++) {
          const delayUs = u32(data, i * 4 + 3);
          if (delayUs > 0) await this.host.delay(delayUs / 1000);
          this.host.regs.write(u32(data, i * 4), u32(data, i * 4 + 1), u32(data, i * 4 + 2));
        }
        return this.ok(op);
      }
      case Op.SPI_ATTACH:
      case Op.SPI_SET_PARAMS:
        return this.ok(op);
      case Op.GET_SECURITY_INFO: {
        if (data.length !== 0) return this.fail(op, RomError.INVALID_MESSAGE);
        // No secure boot, no flash encryption, no key purposes: a board as it is sold.
        const body = new Uint8Array(20);
        const dv = new DataView(body.buffer);
        dv.setUint32(12, this.host.spec.securityChipId ?? 0, true);
        dv.setUint32(16, SECURITY_INFO_API_VERSION, true);
        return this.ok(op, body);
      }
      case Op.CHANGE_BAUDRATE: {
        if (data.length !== 8) return this.fail(op, RomError.INVALID_MESSAGE);
        await this.ok(op);
        await this.host.drainTx();
        this.host.setBaud(u32(data, 0));
        return;
      }
      case Op.MEM_BEGIN: {
        if (data.length !== 16) return this.fail(op, RomError.INVALID_MESSAGE);
        this.mem = { size: u32(data, 0), offset: u32(data, 3), segments: [] };
        this.loaded.push({ addr: this.mem.offset, size: this.mem.size });
        return this.ok(op);
      }
      case Op.MEM_DATA: {
        if (!this.mem) return this.fail(op, RomError.FAILED);
        const len = u32(data, 0);
        const payload = data.subarray(16);
        if (len !== payload.length) return this.fail(op, RomError.INVALID_MESSAGE);
        if (checksum(payload) !== (cmd.checksum & 0xff)) return this.fail(op, RomError.CHECKSUM);
        return this.ok(op);
      }
      case Op.MEM_END: {
        if (data.length !== 8) return this.fail(op, RomError.INVALID_MESSAGE);
        await this.ok(op);
        const execute = u32(data, 0) === 0;
        const entry = u32(data, 1);
        if (execute && this.loaded.some((s) => entry >= s.addr && entry < s.addr + s.size)) {
          await this.host.drainTx();
          this.host.startStub();
        }
        return;
      }
      case Op.FLASH_BEGIN:
      case Op.FLASH_DEFL_BEGIN:
        return this.flashBegin(cmd);
      case Op.FLASH_DATA:
      case Op.FLASH_DEFL_DATA:
        return this.flashData(cmd);
      case Op.FLASH_END:
      case Op.FLASH_DEFL_END: {
        if (data.length < 4) return this.fail(op, RomError.INVALID_MESSAGE);
        this.download?.inflater?.close();
        this.download = undefined;
        await this.ok(op);
        // 0 = reboot, 1 = run the user code (docs, FLASH_END)
        const flag = u32(data, 0);
        await this.host.drainTx();
        this.host.leave(flag === 0);
        return;
      }
      case Op.SPI_FLASH_MD5: {
        if (data.length !== 16) return this.fail(op, RomError.INVALID_MESSAGE);
        const addr = u32(data, 0);
        const size = u32(data, 1);
        if (!this.host.flash.inRange(addr, size)) return this.fail(op, RomError.FLASH_READ);
        // The ESP32 ROM answers with 32 hex characters, the stub with 16 raw bytes (docs).
        await this.host.delay(this.host.md5Ms('rom', size));
        const hex = createHash('md5').update(this.host.flash.read(addr, size)).digest('hex');
        return this.ok(op, new TextEncoder().encode(hex));
      }
      default:
        return this.fail(op, RomError.INVALID_MESSAGE);
    }
  }

  private async flashBegin(cmd: Command): Promise<void> {
    const { op, data } = cmd;
    if (data.length < 16) return this.fail(op, RomError.INVALID_MESSAGE);
    const size = u32(data, 0);
    const blocks = u32(data, 1);
    const blockSize = u32(data, 2);
    const offset = u32(data, 3);
    const flash = this.host.flash;
    if (offset % SECTOR_SIZE !== 0 || !flash.inRange(offset, size)) return this.fail(op, RomError.INVALID_PARAMETER);
    let eraseBytes = size;
    if (this.host.spec.name === 'esp8266' && size > 0) {
      eraseBytes = Math.min(esp8266RomEraseSectors(offset, size) * SECTOR_SIZE, flash.size - offset);
    }
    this.download?.inflater?.close();
    if (eraseBytes > 0) await this.host.delay(flash.erase(offset, eraseBytes));
    this.download = {
      offset,
      blocks,
      blockSize,
      end: offset + Math.max(size, blocks * blockSize),
      written: 0,
      ...(op === Op.FLASH_DEFL_BEGIN ? { inflater: new StreamInflater() } : {}),
    };
    return this.ok(op);
  }

  private async flashData(cmd: Command): Promise<void> {
    const { op, data } = cmd;
    const d = this.download;
    const compressed = op === Op.FLASH_DEFL_DATA;
    if (!d || compressed !== (d.inflater !== undefined)) return this.fail(op, RomError.FAILED);
    if (data.length < 16) return this.fail(op, RomError.INVALID_MESSAGE);
    const len = u32(data, 0);
    const seq = u32(data, 1);
    const payload = data.subarray(16);
    if (len !== payload.length) return this.fail(op, RomError.INVALID_MESSAGE);
    if (checksum(payload) !== (cmd.checksum & 0xff)) return this.fail(op, RomError.CHECKSUM);
    let bytes: Uint8Array;
    let at: number;
    if (d.inflater) {
      try {
        bytes = await d.inflater.push(payload);
      } catch {
        return this.fail(op, RomError.DEFLATE);
      }
      at = d.offset + d.written;
    } else {
      if (seq >= d.blocks) return this.fail(op, RomError.INVALID_PARAMETER);
      bytes = payload;
      at = d.offset + seq * d.blockSize;
    }
    const flash = this.host.flash;
    if (!flash.inRange(at, bytes.length)) return this.fail(op, RomError.FLASH_WRITE);
    // The ROM writes the block, then answers.
    await this.host.delay(flash.program(at, bytes));
    d.written += bytes.length;
    return this.ok(op);
  }
}
