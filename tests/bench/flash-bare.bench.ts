// Bare esptool-js (no Nyala code) writing the shared 1 MB test image to a virtual ESP8266 at
// 921600 baud in real time (timeScale 1). The ratio compares the time with the line-rate bound
// (compressed bytes × 10 bits ÷ baud, plus the flash erase the board modelled during the write),
// which shows the link is paced honestly; the flasher's own figure is measured against this one.
import { ESPLoader, Transport, type IEspLoaderTerminal } from 'esptool-js';
import { createBoard, testImage } from '../board/index.ts';
import type { BenchResults } from './types.ts';

const BAUD = 921600;

export default async function (): Promise<BenchResults> {
  const board = createBoard({ chip: 'esp8266', timeScale: 1 });
  const image = testImage('esp8266');
  // A board that already carries firmware, as a user's does: the stub has sectors to erase.
  board.flash.preload(0, image);
  const lines: string[] = [];
  const terminal: IEspLoaderTerminal = { clean: () => {}, writeLine: (s) => lines.push(s), write: (s) => lines.push(s) };
  const transport = new Transport(board.port);
  const loader = new ESPLoader({ transport, baudrate: BAUD, terminal });
  const log = console.log;
  // esptool-js's Transport logs "readLoop exited" with console.log even without tracing.
  console.log = () => {};
  try {
    await loader.main();
    const eraseBefore = board.flash.stats().eraseMs;
    const t0 = performance.now();
    await loader.writeFlash({
      fileArray: [{ data: image, address: 0 }],
      flashSize: 'keep',
      flashMode: 'keep',
      flashFreq: 'keep',
      eraseAll: false,
      compress: true,
    });
    const seconds = (performance.now() - t0) / 1000;
    const eraseSeconds = (board.flash.stats().eraseMs - eraseBefore) / 1000;
    const m = /Compressed \d+ bytes to (\d+)/.exec(lines.join('\n'));
    if (!m) throw new Error('esptool-js did not report the compressed size');
    const compressed = Number(m[1]);
    const bound = (compressed * 10) / BAUD + eraseSeconds;
    await transport.disconnect();
    return {
      'flash.bare.esp8266.921600': {
        value: seconds,
        unit: 's',
        ratio: seconds / bound,
        note: `bare esptool-js; bound ${bound.toFixed(2)} s = ${compressed} B × 10 ÷ ${BAUD} + ${eraseSeconds.toFixed(2)} s erase`,
      },
    };
  } finally {
    console.log = log;
    await board.close();
  }
}
