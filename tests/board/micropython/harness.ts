// A minimal stand-in for part 1's board, to drive the MicroPython app directly: an in-memory UART
// (no pacing), GPIO levels, access points, a flash on shared memory, power on/off.

import type { AccessPoint, BoardApp, BoardAppFactory, ChipName } from '../app.ts';

export interface TestBoardOptions {
  chip?: ChipName;
  flashSize?: number;
  timeScale?: number;
  rawPaste?: boolean;
  accessPoints?: AccessPoint[];
  mac?: number[];
}

export class TestBoard {
  readonly chip: ChipName;
  readonly flash: Uint8Array;
  readonly gpio = new Map<number, 0 | 1>();
  accessPoints: AccessPoint[];
  resets = 0;
  private out: number[] = [];
  private waiters: (() => void)[] = [];
  private app: BoardApp | undefined;

  constructor(
    private readonly factory: BoardAppFactory,
    private readonly opts: TestBoardOptions = {},
  ) {
    this.chip = opts.chip ?? 'esp8266';
    this.flash = new Uint8Array(new SharedArrayBuffer(opts.flashSize ?? 4 * 1024 * 1024)).fill(0xff);
    this.accessPoints = opts.accessPoints ?? [];
  }

  /** The app running now. */
  get current(): BoardApp | undefined {
    return this.app;
  }

  async powerOn(): Promise<void> {
    this.app = await this.factory({
      chip: this.chip,
      mac: new Uint8Array(this.opts.mac ?? [0x5c, 0xcf, 0x7f, 0x12, 0x34, 0x56]),
      flashSize: this.flash.length,
      flash: this.flash,
      uartWrite: async (bytes) => {
        this.out.push(...bytes);
        for (const w of this.waiters.splice(0)) w();
      },
      setGpio: (pin, level) => {
        this.gpio.set(pin, level);
        for (const w of this.waiters.splice(0)) w();
      },
      getGpio: (pin) => this.gpio.get(pin) ?? 0,
      requestReset: () => {
        this.resets++;
        void this.hardReset();
      },
      accessPoints: () => this.accessPoints,
      rawPaste: this.opts.rawPaste ?? true,
      timeScale: this.opts.timeScale ?? 0.01,
    });
  }

  async powerOff(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.stop();
  }

  async hardReset(): Promise<void> {
    await this.powerOff();
    await this.powerOn();
  }

  send(data: string | Uint8Array): void {
    this.app?.receive(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Everything the board sent so far, as latin1 text. */
  get text(): string {
    return Buffer.from(this.out).toString('latin1');
  }

  /** Forget what was received so far. */
  clear(): void {
    this.out = [];
  }

  /** Waits until the output matches; returns the output. */
  async waitFor(what: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const ok = (): boolean => (typeof what === 'string' ? this.text.includes(what) : what.test(this.text));
    const end = Date.now() + timeoutMs;
    while (!ok()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(what)}; got ${JSON.stringify(this.text.slice(-600))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.text;
  }

  /** Resolves when more output (or a GPIO change) arrives, or after `timeoutMs`. */
  nextOutput(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Waits until a GPIO reads `level`. */
  async waitGpio(pin: number, level: 0 | 1, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while ((this.gpio.get(pin) ?? 0) !== level) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for GPIO${pin} = ${level}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
