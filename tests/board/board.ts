// The board itself: power, EN and IO0, and what runs on the UART — the ROM loader, the stub, the
// ROM's boot report and then the application. Every reset starts a new "generation"; anything
// still running from an older one finds out at its next wait and stops.
import type { AccessPoint, BoardApp, BoardAppContext, BoardAppFactory } from './app.ts';
import { downloadBanner, flashBootBanner, loadLines, bootFailure, type ResetCause } from './boot-text.ts';
import type { ChipSpec, Registers } from './chip.ts';
import { md5TimeMs, type NorFlash } from './flash.ts';
import { echoApp } from './echo-app.ts';
import { checkImage } from './image.ts';
import type { Link } from './link.ts';
import { Halted, type FrameLoop, type LoaderHost } from './loader.ts';
import { RomLoader } from './rom.ts';
import { StubLoader } from './stub.ts';

export type BoardState = 'off' | 'reset' | 'rom-boot' | 'download' | 'stub' | 'app' | 'bricked';

/** The baud MicroPython (and most firmware) sets its UART to after boot. */
export const APP_BAUD = 115200;
/** How long a board without a valid image waits before its watchdog resets it (board time). */
const BRICKED_WDT_MS = 1600;

export interface BoardCoreOptions {
  spec: ChipSpec;
  mac: Uint8Array;
  flash: NorFlash;
  regs: Registers;
  link: Link;
  timeScale: number;
  app?: BoardAppFactory;
  accessPoints: AccessPoint[];
  rawPaste: boolean;
  /** overrides the modelled SPI_FLASH_MD5 ms per MB (flash.ts) */
  md5MsPerMb?: number;
  onState?: (s: BoardState) => void;
  /** the host reaches the chip through its own USB-Serial-JTAG (the ROM's reset cause says so) */
  usbJtag?: boolean;
  /** every reset, as it starts: into download mode or a normal boot, and why */
  onBoot?: (download: boolean, cause: ResetCause) => void;
}

export class BoardCore {
  state: BoardState = 'off';
  private generation = 0;
  private loader: FrameLoop | undefined;
  private app: BoardApp | undefined;
  private readonly gpios = new Map<number, 0 | 1>();
  private gpioWaiters: Array<{ pin: number; level: 0 | 1; resolve: () => void }> = [];
  private readonly stateWaiters: Array<{ want: BoardState; resolve: () => void }> = [];

  constructor(private readonly o: BoardCoreOptions) {
    o.link.onBoardReceive((bytes) => {
      if (this.loader) this.loader.receive(bytes);
      else this.app?.receive(bytes);
    });
  }

  private setState(s: BoardState): void {
    this.state = s;
    this.o.onState?.(s);
    for (const w of this.stateWaiters.splice(0)) {
      if (w.want === s) w.resolve();
      else this.stateWaiters.push(w);
    }
  }

  whenState(want: BoardState): Promise<void> {
    if (this.state === want) return Promise.resolve();
    return new Promise((resolve) => this.stateWaiters.push({ want, resolve }));
  }

  /** EN low: everything stops. */
  hold(state: 'off' | 'reset' = 'reset'): void {
    this.generation++;
    this.loader?.stop();
    this.loader = undefined;
    const app = this.app;
    this.app = undefined;
    void app?.stop();
    this.o.link.toHost.flush();
    this.o.link.boardAutobaud = false;
    this.setState(state);
  }

  /** EN released: the ROM samples IO0 and boots. */
  boot(download: boolean, cause: ResetCause): void {
    this.hold();
    const gen = this.generation;
    this.o.onBoot?.(download, cause);
    const run = download ? this.runDownload(gen, cause) : this.runFlashBoot(gen, cause);
    run.catch((e: unknown) => {
      // A reset, unplug or close while it ran: the old generation just stops.
      if (e instanceof Halted || gen !== this.generation) return;
      throw e;
    });
  }

  private alive(gen: number): void {
    if (gen !== this.generation) throw new Halted();
  }

  private async write(gen: number, bytes: Uint8Array): Promise<void> {
    this.alive(gen);
    try {
      await this.o.link.boardSend(bytes);
    } catch (e) {
      // The cable went away under us (unplug, close): that is a halt, not a failure.
      this.alive(gen);
      throw e;
    }
    this.alive(gen);
  }

  private async sleep(gen: number, ms: number): Promise<void> {
    this.alive(gen);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms * this.o.timeScale));
    this.alive(gen);
  }

  private text(gen: number, s: string): Promise<void> {
    return this.write(gen, new TextEncoder().encode(s));
  }

  private loaderHost(gen: number): LoaderHost {
    const { spec, regs, flash, link } = this.o;
    return {
      spec,
      regs,
      flash,
      uartWrite: (b) => this.write(gen, b),
      delay: (ms) => this.sleep(gen, ms),
      md5Ms: (loader, bytes) => md5TimeMs(spec.name, loader, bytes, this.o.md5MsPerMb),
      drainTx: async () => {
        await link.toHost.drain();
        this.alive(gen);
      },
      setBaud: (b) => {
        link.boardBaud = b;
      },
      setAutobaud: (on) => {
        link.boardAutobaud = on;
      },
      leave: (reboot) => {
        // Let the loop that called us unwind before the new generation starts.
        queueMicrotask(() => this.boot(false, reboot ? 'software' : 'external'));
      },
      startStub: () => {
        this.loader?.stop();
        const stub = new StubLoader(this.loaderHost(gen));
        this.loader = stub;
        this.setState('stub');
        void stub.run();
      },
    };
  }

  private async runDownload(gen: number, cause: ResetCause): Promise<void> {
    this.o.link.boardBaud = this.o.spec.romBaud;
    this.setState('rom-boot');
    await this.text(gen, downloadBanner(this.o.spec.name, cause, this.o.usbJtag));
    const rom = new RomLoader(this.loaderHost(gen));
    this.loader = rom;
    this.setState('download');
    await rom.run();
  }

  private async runFlashBoot(gen: number, cause: ResetCause): Promise<void> {
    const { spec, flash } = this.o;
    this.o.link.boardBaud = spec.romBaud;
    this.setState('rom-boot');
    await this.text(gen, flashBootBanner(spec.name, cause, this.o.usbJtag));
    const image = checkImage(spec.name, flash.bytes, spec.bootOffset);
    if (!image.ok) {
      this.setState('bricked');
      // A bricked board complains, its watchdog resets it, and it complains again, forever.
      await this.text(gen, bootFailure(spec.name, image, spec.bootOffset, flash.bytes));
      await this.sleep(gen, BRICKED_WDT_MS);
      this.boot(false, 'watchdog');
      return;
    }
    await this.text(gen, loadLines(spec.name, { ...image, stored: image.checksum }, spec.bootOffset, flash.bytes));
    await this.o.link.toHost.drain();
    this.alive(gen);
    this.o.link.boardBaud = APP_BAUD;
    const factory = this.o.app ?? echoApp;
    const app = await factory(this.appContext(gen, cause));
    if (gen !== this.generation) {
      await app.stop();
      return;
    }
    this.app = app;
    this.setState('app');
  }

  private appContext(gen: number, cause: ResetCause): BoardAppContext {
    const o = this.o;
    return {
      chip: o.spec.name,
      mac: o.mac,
      flashSize: o.flash.size,
      flash: o.flash.bytes,
      uartWrite: async (bytes) => {
        // After a reset the old application's output goes nowhere.
        if (gen !== this.generation) return;
        try {
          await o.link.boardSend(bytes);
        } catch (e) {
          if (gen !== this.generation) return;
          throw e;
        }
      },
      setGpio: (pin, level) => this.setGpio(pin, level),
      getGpio: (pin) => this.getGpio(pin),
      requestReset: () => {
        if (gen === this.generation) queueMicrotask(() => this.boot(false, 'software'));
      },
      accessPoints: () => o.accessPoints,
      rawPaste: o.rawPaste,
      timeScale: o.timeScale,
      resetCause: cause,
    };
  }

  setGpio(pin: number, level: 0 | 1): void {
    this.gpios.set(pin, level);
    for (const w of this.gpioWaiters.splice(0)) {
      if (w.pin === pin && w.level === level) w.resolve();
      else this.gpioWaiters.push(w);
    }
  }

  getGpio(pin: number): 0 | 1 {
    // Pins nobody drives float high through the module's pull-ups in these tests.
    return this.gpios.get(pin) ?? 1;
  }

  waitGpio(pin: number, level: 0 | 1): Promise<void> {
    if (this.getGpio(pin) === level) return Promise.resolve();
    return new Promise((resolve) => this.gpioWaiters.push({ pin, level, resolve }));
  }
}
