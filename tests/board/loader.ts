// What the ROM loader and the stub share: a queue of received SLIP frames worked through one at a
// time, and the board services they use.
import type { ChipSpec, Registers } from './chip.ts';
import type { NorFlash } from './flash.ts';
import { SlipDecoder, slipEncode } from './slip.ts';

/** Thrown out of a waiting loader when the board loses power or resets. */
export class Halted extends Error {
  constructor() {
    super('board halted');
  }
}

export interface LoaderHost {
  spec: ChipSpec;
  regs: Registers;
  flash: NorFlash;
  /** Bytes onto the UART (resolves when the TX FIFO took them; throws Halted after a reset). */
  uartWrite(bytes: Uint8Array): Promise<void>;
  /** Modelled ms of SPI_FLASH_MD5 over `bytes` on this chip (flash.ts, md5TimeMs). */
  md5Ms(loader: 'rom' | 'stub', bytes: number): number;
  /** Wait modelled board time (scaled by timeScale; throws Halted after a reset). */
  delay(ms: number): Promise<void>;
  /** Wait until the UART has sent everything queued (before changing baud). */
  drainTx(): Promise<void>;
  setBaud(baud: number): void;
  setAutobaud(on: boolean): void;
  /** Leave the loader: reboot through reset (true) or jump to the app in flash (false). */
  leave(reboot: boolean): void;
  /** MEM_END jumped into uploaded code: the flasher stub takes over. */
  startStub(): void;
}

export abstract class FrameLoop {
  private readonly decoder = new SlipDecoder((f) => this.onFrame(f));
  private frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(protected readonly host: LoaderHost) {}

  receive(bytes: Uint8Array): void {
    this.decoder.push(bytes);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private onFrame(frame: Uint8Array): void {
    this.frames.push(frame);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Next received frame; throws Halted once stopped. */
  protected async nextFrame(): Promise<Uint8Array> {
    for (;;) {
      if (this.stopped) throw new Halted();
      const f = this.frames.shift();
      if (f) return f;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** Run until halted. */
  async run(): Promise<void> {
    try {
      await this.start();
      for (;;) await this.handle(await this.nextFrame());
    } catch (e) {
      if (!(e instanceof Halted)) throw e;
    }
  }

  protected async sendFrame(payload: Uint8Array): Promise<void> {
    await this.host.uartWrite(slipEncode(payload));
  }

  protected abstract start(): Promise<void>;
  protected abstract handle(frame: Uint8Array): Promise<void>;
}
