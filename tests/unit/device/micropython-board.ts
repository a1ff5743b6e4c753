// Options for a virtual board that boots straight into real MicroPython (its flash holds the
// shared test image), for tests of what talks to the REPL.
import { testImage, type BoardOptions, type ChipName } from '../../board/index.ts';
import { BOOT_OFFSET } from '../../../src/device/image.ts';
import { micropythonApp } from '../../board/micropython/index.ts';

export async function micropythonBoardOptions(chip: ChipName, extra: Partial<BoardOptions> = {}): Promise<BoardOptions> {
  const flash = new Uint8Array(4 << 20).fill(0xff);
  flash.set(testImage(chip), BOOT_OFFSET[chip]);
  return { chip, flashImage: flash, app: micropythonApp, timeScale: 0.05, ...extra };
}
