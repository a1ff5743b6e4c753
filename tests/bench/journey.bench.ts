// The whole journey on a fresh virtual ESP8266 in real time (timeScale 1): from the person's
// Connect to the lamp online in the remote, with the routines the installer uses, in its order:
//   flash   FlashSession.connect (reset into the ROM, stub, 921600) and write with its defaults
//           (erase everything, write, verify), then reset into MicroPython
//   upload  provisionLamp: interrupt, raw REPL, the lamp program (firmware/*.py + config.json from
//           the default settings) with its sha256 check and renames, until it restarts the board
//   boot    from that restart to remote.ts (the phone's client) showing the lamp online: Wi-Fi,
//           broker, the retained status
// ratio = seconds ÷ (flash wire time + upload wire time): compressed image bytes × 10 ÷ 921600
// plus program bytes × 10 ÷ 115200, what the two links cannot go below.
import { readdirSync, readFileSync } from 'node:fs';
import { createBoard, testImage } from '../board/index.ts';
import { createMicroPython } from '../board/micropython/index.ts';
import { FlashSession } from '../../src/device/flasher.ts';
import { provisionLamp, type ProgramFile } from '../../src/device/provision.ts';
import { configJsonBytes } from '../../src/device/config-json.ts';
import { LampRemote } from '../../src/lamp/remote.ts';
import { defaultSettings, type LampSettings } from '../../src/lamp/settings.ts';
import { HOME_AP } from '../unit/firmware/harness.ts';
import { TestBroker, waitFor } from '../unit/lamp/harness.ts';
import type { BenchResults } from './types.ts';

const FLASH_BAUD = 921600;
const REPL_BAUD = 115200;

/**
 * What lamp-program.ts uploads (its ?raw imports need Vite, so the files are read here): every
 * firmware/*.py, main.py last as it imports the others, then config.json from the settings.
 */
function program(settings: LampSettings): ProgramFile[] {
  const dir = new URL('../../firmware/', import.meta.url);
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.py'))
    .sort((a, b) => (a === 'main.py' ? 1 : b === 'main.py' ? -1 : a.localeCompare(b)));
  const files = names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) }));
  return [...files, { name: 'config.json', bytes: configJsonBytes(settings) }];
}

export default async function (): Promise<BenchResults> {
  const broker = new TestBroker();
  await broker.start();
  const settings = defaultSettings({ chip: 'esp8266', name: 'Journey', preset: 'custom' });
  settings.broker = { ...settings.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  settings.wifi = { ssid: HOME_AP.ssid, password: HOME_AP.password };
  const files = program(settings);
  const payload = files.reduce((n, f) => n + f.bytes.length, 0);
  // Fresh from the factory: erased flash, no MicroPython.
  const board = createBoard({ chip: 'esp8266', timeScale: 1, app: createMicroPython().app, accessPoints: [HOME_AP] });
  const log = console.log;
  // esptool-js's Transport logs "readLoop exited" with console.log even without tracing.
  console.log = () => {};
  let remote: LampRemote | undefined;
  try {
    const t0 = performance.now();
    const session = await FlashSession.connect(board.port, { baud: FLASH_BAUD });
    let compressed = 0;
    try {
      await session.write(testImage('esp8266'));
      compressed = session.lastWrite?.compressedBytes ?? 0;
    } finally {
      await session.close({ reset: true });
    }
    const flashed = performance.now();
    let restarted = 0;
    const result = await provisionLamp(board.port, files, {
      timeoutMs: 60_000,
      onEvent: (e) => {
        if (e.state === 'restarting') restarted = performance.now();
      },
    });
    if (!result.boot?.online) throw new Error(`the lamp did not come online: ${JSON.stringify(result.boot)}`);
    remote = new LampRemote({ settings, commandTimeoutMs: 10_000 });
    remote.start();
    await waitFor(remote, (s) => s.presence === 'online', 'the lamp online in the remote', 30_000);
    const online = performance.now();
    const seconds = (online - t0) / 1000;
    const flashWire = (compressed * 10) / FLASH_BAUD;
    const uploadWire = (payload * 10) / REPL_BAUD;
    const part = (a: number, b: number): string => ((b - a) / 1000).toFixed(1);
    return {
      'journey.esp8266': {
        value: seconds,
        unit: 's',
        ratio: seconds / (flashWire + uploadWire),
        note: `Connect → online in the remote: flash ${part(t0, flashed)} s, upload ${part(flashed, restarted)} s, boot ${part(restarted, online)} s; ÷ wire ${(flashWire + uploadWire).toFixed(2)} s = ${compressed} B × 10 ÷ ${FLASH_BAUD} + ${payload} B × 10 ÷ ${REPL_BAUD}`,
      },
    };
  } finally {
    console.log = log;
    await remote?.stop();
    await board.close();
    await broker.stop();
  }
}
