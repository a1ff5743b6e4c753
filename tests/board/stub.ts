// The flasher stub esptool-js 0.7 uploads (esp-flasher-stub v1.2.2, esptool's stub_flasher/2),
// modelled from its src/command_handler.c:
// - every response carries two status bytes, the response code big-endian (0xC100 → C1 00);
// - FLASH_DATA / FLASH_DEFL_DATA are acknowledged once the checksum is checked; the block is
//   inflated, erased ahead and written afterwards, while the host already sends the next one, and
//   a failure there is reported in the answer to the next command (its "accumulated_result");
// - erase is just in time, sector by sector, skipping sectors that read blank (each read costs
//   the flash's read time) until the first dirty one, then 64 KB blocks where aligned. An erase is
//   started and not waited for (esp-stub-lib src/flash.c stub_lib_flash_start_next_erase, called
//   with timeout 0: a busy chip means "not now"): FLASH_BEGIN starts the first one and answers at
//   once, each inflate step starts one if the chip is idle, and a write waits for the chip to
//   finish before it starts the next erase it needs and before programming. So the chip erases
//   while the next block is on the wire, and only one erase runs at a time, as on the chip;
// - SYNC is answered eight times with value 0; READ_FLASH keeps one packet in flight and ends with
//   the MD5 of what it sent; GET_SECURITY_INFO is not implemented on ESP8266 and ESP32
//   (on ESP32-C3 and -S3 it is the ROM's answer).
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, SECTOR_ERASE_MS, BLOCK_ERASE_MS, SECTOR_SIZE, readTimeMs } from './flash.ts';
import { SECURITY_INFO_API_VERSION } from './chip.ts';
import { StreamInflater } from './inflater.ts';
import { FrameLoop, type LoaderHost } from './loader.ts';
import { OHAI, Op, StubCode, checksum, parseCommand, response, u32, type Command } from './protocol.ts';

interface FlashOp {
  remaining: number;
  offset: number;
  nextErase: number;
  eraseRemaining: number;
  inflater?: StreamInflater;
}

type Post = () => Promise<number>;

export class StubLoader extends FrameLoop {
  private flashOp: FlashOp | undefined;
  private mem: { remaining: number } | undefined;
  private accumulated: number = StubCode.SUCCESS;
  private dirtySeen = false;
  /** The erase the stub started and has not waited for: the flash chip is busy until it ends. */
  private erasing: Promise<void> | undefined;

  constructor(host: LoaderHost) {
    super(host);
  }

  protected async start(): Promise<void> {
    this.host.setAutobaud(false);
    await this.sendFrame(OHAI);
  }

  private send(op: number, code: number, value = 0, body: Uint8Array = new Uint8Array(0)): Promise<void> {
    const b = new Uint8Array(body.length + 2);
    b.set(body);
    b[body.length] = (code >> 8) & 0xff;
    b[body.length + 1] = code & 0xff;
    return this.sendFrame(response(op, value, b));
  }

  protected async handle(frame: Uint8Array): Promise<void> {
    const cmd = parseCommand(frame);
    if (!cmd) {
      // direction byte not 0x00
      return this.send(frame[1] ?? 0, StubCode.INVALID_COMMAND);
    }
    if (cmd.size !== cmd.data.length) return this.send(cmd.op, StubCode.BAD_DATA_LEN);
    if (this.accumulated !== StubCode.SUCCESS) {
      const code = this.accumulated;
      this.accumulated = StubCode.SUCCESS;
      return this.send(cmd.op, code);
    }
    // RUN_USER_CODE: the stub sends nothing and does nothing (a TODO in esp-flasher-stub).
    if (cmd.op === Op.RUN_USER_CODE) return;
    const { code, value, body, post } = await this.dispatch(cmd);
    if (code === StubCode.SUCCESS) await this.send(cmd.op, code, value, body);
    else await this.send(cmd.op, code);
    if (code === StubCode.SUCCESS && post) this.accumulated = await post();
  }

  private async dispatch(cmd: Command): Promise<{ code: number; value?: number; body?: Uint8Array; post?: Post }> {
    const { op, data } = cmd;
    const h = this.host;
    switch (op) {
      case Op.SYNC:
        if (data.length !== 36) return { code: StubCode.BAD_DATA_LEN };
        for (let i = 0; i < 7; i++) await this.send(op, StubCode.SUCCESS);
        return { code: StubCode.SUCCESS };
      case Op.READ_REG:
        if (data.length !== 4) return { code: StubCode.BAD_DATA_LEN };
        return { code: StubCode.SUCCESS, value: h.regs.read(u32(data, 0)) };
      case Op.WRITE_REG:
        if (data.length === 0 || data.length % 16 !== 0) return { code: StubCode.NOT_ENOUGH_DATA };
        for (let i = 0; i < data.length / 16; i++) {
          const delayUs = u32(data, i * 4 + 3);
          if (delayUs > 0) await h.delay(delayUs / 1000);
          h.regs.write(u32(data, i * 4), u32(data, i * 4 + 1), u32(data, i * 4 + 2));
        }
        return { code: StubCode.SUCCESS };
      case Op.SPI_ATTACH:
        return { code: data.length === 4 ? StubCode.SUCCESS : StubCode.BAD_DATA_LEN };
      case Op.SPI_SET_PARAMS:
        return { code: data.length === 24 ? StubCode.SUCCESS : StubCode.BAD_DATA_LEN };
      case Op.CHANGE_BAUDRATE:
        if (data.length !== 8) return { code: StubCode.BAD_DATA_LEN };
        return {
          code: StubCode.SUCCESS,
          post: async () => {
            await h.drainTx();
            h.setBaud(u32(data, 0));
            return StubCode.SUCCESS;
          },
        };
      case Op.MEM_BEGIN:
        if (data.length !== 16) return { code: StubCode.BAD_DATA_LEN };
        this.mem = { remaining: u32(data, 0) };
        return { code: StubCode.SUCCESS };
      case Op.MEM_DATA: {
        if (data.length < 16) return { code: StubCode.NOT_ENOUGH_DATA };
        if (!this.mem) return { code: StubCode.NOT_IN_FLASH_MODE };
        const len = u32(data, 0);
        if (this.mem.remaining < len || len !== data.length - 16) return { code: StubCode.TOO_MUCH_DATA };
        this.mem.remaining -= len;
        return { code: StubCode.SUCCESS };
      }
      case Op.MEM_END:
        if (data.length !== 8) return { code: StubCode.BAD_DATA_LEN };
        if (!this.mem) return { code: StubCode.NOT_IN_FLASH_MODE };
        this.mem = undefined;
        return { code: StubCode.SUCCESS };
      case Op.FLASH_BEGIN:
      case Op.FLASH_DEFL_BEGIN:
        return { code: await this.flashBegin(data, op === Op.FLASH_DEFL_BEGIN) };
      case Op.FLASH_DATA:
        return this.flashData(cmd);
      case Op.FLASH_DEFL_DATA:
        return this.flashDeflData(cmd);
      case Op.FLASH_END:
      case Op.FLASH_DEFL_END: {
        if (data.length !== 4) return { code: StubCode.BAD_DATA_LEN };
        if (!this.flashOp) return { code: StubCode.NOT_IN_FLASH_MODE };
        if (this.flashOp.remaining !== 0) return { code: StubCode.BAD_DATA_LEN };
        this.flashOp.inflater?.close();
        this.flashOp = undefined;
        return { code: StubCode.SUCCESS };
      }
      case Op.SPI_FLASH_MD5: {
        if (data.length !== 16) return { code: StubCode.BAD_DATA_LEN };
        const addr = u32(data, 0);
        const size = u32(data, 1);
        if (!h.flash.inRange(addr, size)) return { code: StubCode.FAILED_SPI_OP };
        await this.idle();
        await h.delay(h.md5Ms('stub', size));
        const md5 = createHash('md5').update(h.flash.read(addr, size)).digest();
        return { code: StubCode.SUCCESS, body: new Uint8Array(md5) };
      }
      case Op.GET_SECURITY_INFO: {
        if (data.length !== 0) return { code: StubCode.BAD_DATA_LEN };
        // stub_lib_get_security_info answers NOT_SUPPORTED on ESP8266 and ESP32; on the newer chips
        // it asks the ROM, which gives the same 20 bytes as without the stub.
        const chipId = h.spec.securityChipId;
        if (chipId === undefined) return { code: StubCode.CMD_NOT_IMPLEMENTED };
        const body = new Uint8Array(20);
        const dv = new DataView(body.buffer);
        dv.setUint32(12, chipId, true);
        dv.setUint32(16, SECURITY_INFO_API_VERSION, true);
        return { code: StubCode.SUCCESS, body };
      }
      case Op.READ_FLASH:
        if (data.length !== 16) return { code: StubCode.BAD_DATA_LEN };
        return { code: StubCode.SUCCESS, post: () => this.readFlash(u32(data, 0), u32(data, 1), u32(data, 2)) };
      case Op.ERASE_FLASH:
        await this.idle();
        await h.delay(h.flash.eraseChip());
        return { code: StubCode.SUCCESS };
      case Op.ERASE_REGION: {
        if (data.length !== 8) return { code: StubCode.BAD_DATA_LEN };
        const addr = u32(data, 0);
        const size = u32(data, 1);
        if (addr % SECTOR_SIZE !== 0 || size % SECTOR_SIZE !== 0) return { code: StubCode.BAD_DATA_LEN };
        if (!h.flash.inRange(addr, size)) return { code: StubCode.FAILED_SPI_OP };
        await this.idle();
        await h.delay(h.flash.erase(addr, size));
        return { code: StubCode.SUCCESS };
      }
      default:
        return { code: StubCode.INVALID_COMMAND };
    }
  }

  private async flashBegin(data: Uint8Array, compressed: boolean): Promise<number> {
    if (data.length !== 16 && data.length !== 20) return StubCode.BAD_DATA_LEN;
    const size = u32(data, 0);
    const offset = u32(data, 3);
    this.flashOp?.inflater?.close();
    const start = offset - (offset % SECTOR_SIZE);
    const end = Math.ceil((offset + size) / SECTOR_SIZE) * SECTOR_SIZE;
    this.flashOp = {
      remaining: size,
      offset,
      nextErase: start,
      eraseRemaining: end - start,
      ...(compressed ? { inflater: new StreamInflater() } : {}),
    };
    this.dirtySeen = false;
    if (end > this.host.flash.size) return StubCode.FAILED_SPI_OP;
    return this.eraseNext(false);
  }

  /**
   * One step of just-in-time erase (s_conditional_erase_next): skip a sector that reads blank, or
   * start the next erase. With `wait` false a busy chip means "not now" (timeout 0); with `wait`
   * true it waits for the chip first, as s_ensure_flash_erased_to's loop ends up doing.
   */
  private async eraseNext(wait: boolean): Promise<number> {
    const f = this.flashOp;
    if (!f || f.eraseRemaining <= 0) return StubCode.SUCCESS;
    const flash = this.host.flash;
    if (!this.dirtySeen) {
      // Reading needs the chip idle; it only happens before this operation's first erase.
      await this.idle();
      await this.host.delay(readTimeMs(SECTOR_SIZE));
      if (flash.isBlank(f.nextErase, SECTOR_SIZE)) {
        f.nextErase += SECTOR_SIZE;
        f.eraseRemaining -= SECTOR_SIZE;
        return StubCode.SUCCESS;
      }
      this.dirtySeen = true;
    }
    if (this.erasing) {
      if (!wait) return StubCode.SUCCESS;
      await this.idle();
    }
    const step = f.nextErase % BLOCK_SIZE === 0 && f.eraseRemaining >= BLOCK_SIZE ? BLOCK_SIZE : SECTOR_SIZE;
    flash.erase(f.nextErase, step);
    this.startBusy(step === BLOCK_SIZE ? BLOCK_ERASE_MS : SECTOR_ERASE_MS);
    f.nextErase += step;
    f.eraseRemaining -= step;
    return StubCode.SUCCESS;
  }

  /** The chip works on its own for `ms` (an erase in progress); the stub goes on meanwhile. */
  private startBusy(ms: number): void {
    const done: Promise<void> = this.host.delay(ms).finally(() => {
      if (this.erasing === done) this.erasing = undefined;
    });
    // A reset while the chip is busy rejects the delay (Halted); whoever waits sees it.
    done.catch(() => undefined);
    this.erasing = done;
  }

  /** Wait until the flash chip is idle (stub_lib_flash_wait_ready). */
  private async idle(): Promise<void> {
    while (this.erasing) await this.erasing;
  }

  private async write(bytes: Uint8Array): Promise<number> {
    const f = this.flashOp!;
    const n = Math.min(bytes.length, f.remaining);
    while (f.nextErase < f.offset + n) {
      const r = await this.eraseNext(true);
      if (r !== StubCode.SUCCESS) return r;
    }
    if (!this.host.flash.inRange(f.offset, n)) return StubCode.FAILED_SPI_OP;
    await this.idle();
    await this.host.delay(this.host.flash.program(f.offset, bytes.subarray(0, n)));
    f.offset += n;
    f.remaining -= n;
    return StubCode.SUCCESS;
  }

  private flashData(cmd: Command): { code: number; post?: Post } {
    const { data } = cmd;
    if (data.length < 16) return { code: StubCode.NOT_ENOUGH_DATA };
    if (!this.flashOp || this.flashOp.inflater) return { code: StubCode.NOT_IN_FLASH_MODE };
    const payload = data.subarray(16);
    if (u32(data, 0) !== payload.length) return { code: StubCode.TOO_MUCH_DATA };
    if (checksum(payload) !== (cmd.checksum & 0xff)) return { code: StubCode.BAD_DATA_CHECKSUM };
    return { code: StubCode.SUCCESS, post: () => this.write(payload) };
  }

  private flashDeflData(cmd: Command): { code: number; post?: Post } {
    const { data } = cmd;
    if (data.length < 16) return { code: StubCode.BAD_DATA_LEN };
    const f = this.flashOp;
    if (!f?.inflater) return { code: StubCode.NOT_IN_FLASH_MODE };
    const size = u32(data, 0);
    const payload = data.subarray(16, 16 + size);
    if (checksum(payload) !== (cmd.checksum & 0xff)) return { code: StubCode.BAD_DATA_CHECKSUM };
    const inflater = f.inflater;
    return {
      code: StubCode.SUCCESS,
      post: async () => {
        // Opportunistic erase while inflating, as the stub does: started only if the chip is idle.
        const r = await this.eraseNext(false);
        if (r !== StubCode.SUCCESS) return r;
        let out: Uint8Array;
        try {
          out = await inflater.push(payload);
        } catch {
          return StubCode.INFLATE_ERROR;
        }
        return this.write(out);
      },
    };
  }

  private async readFlash(offset: number, size: number, packetSize: number): Promise<number> {
    const flash = this.host.flash;
    if (packetSize > 4096 || packetSize === 0) return StubCode.BAD_DATA_LEN;
    if (!flash.inRange(offset, size)) return StubCode.FAILED_SPI_OP;
    await this.idle();
    const md5 = createHash('md5');
    let sent = 0;
    let acked = 0;
    while (sent < size || acked < size) {
      if (sent < size && sent === acked) {
        const chunk = flash.read(offset + sent, Math.min(packetSize, size - sent));
        md5.update(chunk);
        await this.sendFrame(chunk);
        sent += chunk.length;
        continue;
      }
      // The host acknowledges with the total it has received, as a bare 4-byte frame.
      const ack = await this.nextFrame();
      if (ack.length !== 4) break;
      acked = u32(ack, 0);
    }
    await this.sendFrame(new Uint8Array(md5.digest()));
    return StubCode.SUCCESS;
  }
}
