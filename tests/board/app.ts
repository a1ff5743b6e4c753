// The seam between virtual board part 1 (link, chip, ROM) and what runs after a normal boot
// (part 2: MicroPython; until then an echo application). Part 1 owns the board and calls an
// app factory when the ROM hands the UART to the application; part 2 implements the factory.

export type ChipName = 'esp8266' | 'esp32' | 'esp32c3' | 'esp32s3';

/** What MicroPython (part 2) and the boot text treat alike: every ESP32 variant is 'esp32' to it
 *  (sys.platform, the filesystem layout); only os.uname().machine and the ROM differ. */
export function chipFamily(chip: ChipName): 'esp8266' | 'esp32' {
  return chip === 'esp8266' ? 'esp8266' : 'esp32';
}

/** A simulated Wi-Fi access point the board's `network.WLAN` can join. */
export interface AccessPoint {
  ssid: string;
  password: string;
  /** dBm shown by scan(); default -50 */
  rssi?: number;
  channel?: number;
}

/** What the board gives the application. */
export interface BoardAppContext {
  chip: ChipName;
  mac: Uint8Array;
  /** Size of the flash in bytes. */
  flashSize: number;
  /**
   * The whole flash, backed by a SharedArrayBuffer so a worker thread can read and write it
   * directly (MicroPython's filesystem lives in it and must survive resets, and vanish on erase).
   */
  flash: Uint8Array;
  /** Bytes from the application to the host; paced by the link. Resolves when the link took them
   *  (a full transmit buffer makes the sender wait, as a UART does). */
  uartWrite(bytes: Uint8Array): Promise<void>;
  /** Drive a GPIO the tests observe (level 0 or 1). */
  setGpio(pin: number, level: 0 | 1): void;
  getGpio(pin: number): 0 | 1;
  /** The application asks for a hard reset (machine.reset()). */
  requestReset(): void;
  /** The board's options that concern the application. */
  accessPoints(): AccessPoint[];
  /** false = firmware without raw-paste (answers `R\x00`). */
  rawPaste: boolean;
  /** 1 = real time; below 1 = sped up (delays the application models are multiplied by it). */
  timeScale: number;
  /** Why the chip last reset (machine.reset_cause()); absent = power-on. */
  resetCause?: 'power-on' | 'external' | 'software' | 'watchdog';
}

/** What runs on the UART after a normal boot. */
export interface BoardApp {
  /** Bytes that arrived from the host on the UART (at the baud both ends agree on). */
  receive(bytes: Uint8Array): void;
  /** Power off: stop at once (reset, unplug, close). Flash writes already made stay. */
  stop(): Promise<void>;
}

export type BoardAppFactory = (ctx: BoardAppContext) => BoardApp | Promise<BoardApp>;
