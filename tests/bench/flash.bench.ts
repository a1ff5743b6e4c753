// Our flasher (src/device/flasher.ts) writing the shared test image to virtual boards in real
// time (timeScale 1), as a person waits for it. The physical limit is the wire: every compressed
// byte crosses the UART as 10 bits, so wire time = compressed bytes × 10 ÷ baud, and ratio =
// seconds ÷ wire time (the stub erases and programs while the next block is on the wire, so
// nothing else bounds it from below). Three figures per chip and baud:
//   flash.<chip>.<baud>         the write alone: from write() to the last block written
//                               (FLASH_DEFL_END answered), compression included
//   flash.<chip>.<baud>.verify  the MD5 check after it (the chip reads and hashes the region)
//   flash.<chip>.<baud>.click   from the Flash click to done, as the app does it: connect (reset
//                               into the ROM, sync, stub upload, baud change, chip and flash
//                               detection), erase everything first (the app's default: a 4 MB chip
//                               erase, 10 s on a W25Q32), write, verify, reset into the firmware
import { createBoard, testImage, type ChipName } from '../board/index.ts';
import { FlashSession, type WriteStats } from '../../src/device/flasher.ts';
import { BOOT_OFFSET } from '../../src/device/image.ts';
import type { BenchResults } from './types.ts';

interface Run {
  writeSeconds: number;
  verifySeconds: number;
  totalSeconds: number;
  compressed: number;
}

async function run(chip: ChipName, baud: number, eraseAll: boolean): Promise<Run> {
  const board = createBoard({ chip, timeScale: 1 });
  const image = testImage(chip);
  // A board that already carries firmware, as a person's does: the stub has sectors to erase.
  board.flash.preload(BOOT_OFFSET[chip], image);
  const log = console.log;
  // esptool-js's Transport logs "readLoop exited" with console.log even without tracing.
  console.log = () => {};
  let stats: WriteStats | undefined;
  const t0 = performance.now();
  try {
    const session = await FlashSession.connect(board.port, { baud });
    try {
      if (session.board.baud !== baud) throw new Error(`link settled at ${session.board.baud}, not ${baud}`);
      await session.write(image, { eraseAll });
      stats = session.lastWrite;
    } finally {
      await session.close({ reset: true });
    }
  } finally {
    console.log = log;
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  await board.close();
  if (!stats) throw new Error('the flasher measured no write');
  return { writeSeconds: stats.writeSeconds, verifySeconds: stats.verifySeconds, totalSeconds, compressed: stats.compressedBytes };
}

async function measure(chip: ChipName, baud: number): Promise<BenchResults> {
  const w = await run(chip, baud, false);
  const c = await run(chip, baud, true);
  const wire = (w.compressed * 10) / baud;
  const key = `flash.${chip}.${baud}`;
  return {
    [key]: {
      value: w.writeSeconds,
      unit: 's',
      ratio: w.writeSeconds / wire,
      note: `Nyala flasher, write alone (compression to FLASH_DEFL_END answered); wire ${wire.toFixed(2)} s = ${w.compressed} B × 10 ÷ ${baud}`,
    },
    [`${key}.verify`]: {
      value: w.verifySeconds,
      unit: 's',
      note: `SPI_FLASH_MD5 of the ${testImage(chip).length} B image after the write, board's modelled read-and-hash time`,
    },
    [`${key}.click`]: {
      value: c.totalSeconds,
      unit: 's',
      ratio: c.totalSeconds / ((c.compressed * 10) / baud),
      note: `Flash click to done: connect, stub, baud, erase everything (app default), write, verify, reset; ÷ wire ${c.compressed} B × 10 ÷ ${baud}`,
    },
  };
}

export default async function (): Promise<BenchResults> {
  return {
    ...(await measure('esp8266', 921600)),
    ...(await measure('esp8266', 460800)),
    ...(await measure('esp32', 921600)),
  };
}
