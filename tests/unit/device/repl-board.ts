// A virtual board booted into real MicroPython, with files preloaded, for the REPL and upload
// tests; every board made here is closed after each test.
import { afterEach } from 'vitest';
import { createBoard, testImage, type AccessPoint, type Board, type ChipName } from '../../board/index.ts';
import { createMicroPython, readBoardFile, writeBoardFiles, type MicroPythonHandle, type MicroPythonOptions } from '../../board/micropython/index.ts';
import { BOOT_OFFSET } from '../../../src/device/image.ts';

export interface TestBoardOptions {
  chip?: ChipName;
  rawPaste?: boolean;
  timeScale?: number;
  files?: Record<string, string | Uint8Array>;
  accessPoints?: AccessPoint[];
  mpy?: MicroPythonOptions;
}

export interface TestBoard {
  board: Board;
  mpy: MicroPythonHandle;
  /** a file on the board's filesystem, read from its flash */
  file(path: string): Uint8Array | undefined;
}

const made: Board[] = [];

afterEach(async () => {
  await Promise.all(made.splice(0).map((b) => b.close()));
});

export function testBoard(opts: TestBoardOptions = {}): TestBoard {
  const chip = opts.chip ?? 'esp8266';
  const image = new Uint8Array(4 << 20).fill(0xff);
  image.set(testImage(chip), BOOT_OFFSET[chip]);
  if (opts.files) writeBoardFiles(image, chip, opts.files, opts.mpy?.fs ?? 'littlefs');
  const mpy = createMicroPython(opts.mpy);
  const board = createBoard({
    chip,
    flashImage: image,
    app: mpy.app,
    timeScale: opts.timeScale ?? 0.05,
    rawPaste: opts.rawPaste ?? true,
    accessPoints: opts.accessPoints ?? [],
  });
  made.push(board);
  return { board, mpy, file: (path) => readBoardFile(board.flash.bytes, chip, path.startsWith('/') ? path : `/${path}`) };
}
