// Bare esptool-js (no Nyala code) writing the shared 1 MB test image to a virtual ESP8266 at
// 921600 baud in real time (timeScale 1), measured as flash.bench.ts measures ours: the write
// alone (writeFlash from its compression to FLASH_DEFL_END answered, no MD5 asked for), ratio =
// seconds ÷ wire time (compressed bytes × 10 ÷ baud), the physical limit.
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
    const m = /Compressed \d+ bytes to (\d+)/.exec(lines.join('\n'));
    if (!m) throw new Error('esptool-js did not report the compressed size');
    const compressed = Number(m[1]);
    const wire = (compressed * 10) / BAUD;
    await transport.disconnect();
    return {
      'flash.bare.esp8266.921600': {
        value: seconds,
        unit: 's',
        ratio: seconds / wire,
        note: `bare esptool-js writeFlash, write alone; wire ${wire.toFixed(2)} s = ${compressed} B × 10 ÷ ${BAUD}`,
      },
    };
  } finally {
    console.log = log;
    await board.close();
  }
}
