// Our flasher (src/device/flasher.ts) writing the shared test image to virtual boards in real
// time: write + MD5 verify, as a person waits for it. Ratio = time ÷ the line-rate bound
// (compressed bytes × 10 ÷ baud + the erase the board modelled), the same bound the bare
// esptool-js figure (flash-bare.bench.ts, same run) is measured against.
import { createBoard, testImage, type ChipName } from '../board/index.ts';
import { FlashSession } from '../../src/device/flasher.ts';
import { BOOT_OFFSET } from '../../src/device/image.ts';
import type { BenchResults } from './types.ts';

async function measure(chip: ChipName, baud: number): Promise<BenchResults> {
  const board = createBoard({ chip, timeScale: 1 });
  const image = testImage(chip);
  // A board that already carries firmware, as a person's does: the stub has sectors to erase.
  board.flash.preload(BOOT_OFFSET[chip], image);
  const lines: string[] = [];
  const log = console.log;
  // esptool-js's Transport logs "readLoop exited" with console.log even without tracing.
  console.log = () => {};
  const session = await FlashSession.connect(board.port, { baud, onLog: (l) => lines.push(l) });
  try {
    if (session.board.baud !== baud) throw new Error(`link settled at ${session.board.baud}, not ${baud}`);
    const eraseBefore = board.flash.stats().eraseMs;
    const t0 = performance.now();
    await session.write(image, { eraseAll: false });
    const seconds = (performance.now() - t0) / 1000;
    const eraseSeconds = (board.flash.stats().eraseMs - eraseBefore) / 1000;
    const m = /Compressed \d+ bytes to (\d+)/.exec(lines.join('\n'));
    if (!m) throw new Error('esptool-js did not report the compressed size');
    const compressed = Number(m[1]);
    const bound = (compressed * 10) / baud + eraseSeconds;
    return {
      [`flash.${chip}.${baud}`]: {
        value: seconds,
        unit: 's',
        ratio: seconds / bound,
        note: `Nyala flasher, write + MD5 verify; bound ${bound.toFixed(2)} s = ${compressed} B × 10 ÷ ${baud} + ${eraseSeconds.toFixed(2)} s erase`,
      },
    };
  } finally {
    await session.close({ reset: false });
    console.log = log;
    await board.close();
  }
}

export default async function (): Promise<BenchResults> {
  return {
    ...(await measure('esp8266', 921600)),
    ...(await measure('esp8266', 460800)),
    ...(await measure('esp32', 921600)),
  };
}
