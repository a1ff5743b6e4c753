// Uploading the lamp program (firmware/*.py + config.json) to a virtual ESP8266 running real
// MicroPython, at 115200 baud in real time (timeScale 1; the board's flash write time included):
// ours (provision.ts), and the same files written the way adafruit-ampy 1.1 `ampy put` does it
// (one `ampy put` per file), on the same kind of board in the same run. Both timers start from
// the same state: the board booted and idle at the friendly REPL's ">>> ", the port closed; they
// stop when the last file is written. Ours also checks what the board has, verifies sha256 on the
// board and renames; ampy does none of that. Not counted for ampy: starting Python and opening
// the port once per file (so the speed-up is if anything understated). ratio = payload bytes/s ÷
// the line's 11520 bytes/s (115200 baud, 10 bits a byte).
import { readFileSync } from 'node:fs';
import { createBoard, testImage, type Board } from '../board/index.ts';
import { createMicroPython } from '../board/micropython/index.ts';
import { BOOT_OFFSET } from '../../src/device/image.ts';
import { Repl } from '../../src/device/repl.ts';
import { uploadFiles, type ProgramFile } from '../../src/device/provision.ts';
import { configJsonBytes } from '../../src/device/config-json.ts';
import { SerialStream } from '../../src/device/serial-stream.ts';
import { defaultSettings } from '../../src/lamp/settings.ts';
import type { BenchResults } from './types.ts';

const BAUD = 115200;
const LINE_BYTES_PER_S = BAUD / 10;

function program(): ProgramFile[] {
  const s = defaultSettings({ chip: 'esp8266', deviceId: '3f9a2c' });
  s.wifi = { ssid: 'rumah', password: 'rahasia123' };
  const firmware = ['wifi.py', 'mqtt.py', 'main.py'].map((name) => ({
    name,
    bytes: new Uint8Array(readFileSync(new URL(`../../firmware/${name}`, import.meta.url))),
  }));
  return [...firmware, { name: 'config.json', bytes: configJsonBytes(s) }];
}

function realTimeBoard(): Board {
  const image = new Uint8Array(4 << 20).fill(0xff);
  image.set(testImage('esp8266'), BOOT_OFFSET.esp8266);
  return createBoard({ chip: 'esp8266', flashImage: image, app: createMicroPython().app, timeScale: 1 });
}

/** The board booted and idle at ">>> ", its port closed again (which does not reset it). */
async function idleBoard(): Promise<Board> {
  const board = realTimeBoard();
  const io = await SerialStream.open(board.port, BAUD);
  try {
    await io.readUntil('>>> ', 20_000);
  } finally {
    await io.close();
  }
  return board;
}

async function ours(files: ProgramFile[]): Promise<number> {
  const board = await idleBoard();
  const t0 = performance.now();
  const repl = await Repl.open(board.port, { baudRate: BAUD });
  try {
    await repl.enterRawRepl(20_000);
    const summary = await uploadFiles(repl, files);
    const seconds = (performance.now() - t0) / 1000;
    if (summary.written.length !== files.length) throw new Error(`wrote ${summary.written.join(', ')}`);
    return seconds;
  } finally {
    await repl.close();
    await board.close();
  }
}

// ---- adafruit-ampy 1.1, `ampy put`: files.py Files.put over pyboard.py, rewritten here. ----

/** ampy's BUFFER_SIZE: bytes of the file per `f.write(...)`. */
const AMPY_CHUNK = 32;
const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n';

/** Python's repr() of a bytes object, which ampy puts in the command. */
function pyRepr(b: Uint8Array): string {
  const hasSingle = b.includes(0x27);
  const q = hasSingle && !b.includes(0x22) ? '"' : "'";
  let s = 'b' + q;
  for (const c of b) {
    const ch = String.fromCharCode(c);
    if (ch === '\\' || ch === q) s += '\\' + ch;
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c < 0x20 || c >= 0x7f) s += '\\x' + c.toString(16).padStart(2, '0');
    else s += ch;
  }
  return s + q;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * pyboard.py as adafruit-ampy 1.1.0 ships it (ampy/pyboard.py, unchanged since): enter_raw_repl
 * interrupts with Ctrl-C twice 0.1 s apart, flushes, Ctrl-A, soft-resets with Ctrl-D, then sleeps
 * 0.5 s and sends Ctrl-C twice more 0.1 s apart (its own modification, to stop a main.py);
 * exec writes the command in 256-byte slices with 10 ms after each; read_until polls the port and
 * sleeps 10 ms whenever nothing is waiting.
 */
class AmpyPyboard {
  constructor(private readonly io: SerialStream) {}

  /** pyboard.py read_until(min_num_bytes, ending, timeout=10). */
  async readUntil(minBytes: number, ending: string, timeoutS = 10): Promise<string> {
    let data = new TextDecoder('latin1').decode(await this.io.read(minBytes, timeoutS * 1000));
    let idle = 0;
    for (;;) {
      if (data.endsWith(ending)) break;
      const c = this.io.shift();
      if (c !== undefined) {
        data += String.fromCharCode(c);
        idle = 0;
      } else {
        if (++idle >= 100 * timeoutS) break;
        await sleep(10);
      }
    }
    return data;
  }

  async enterRawRepl(): Promise<void> {
    await this.io.write('\r\x03');
    await sleep(100);
    await this.io.write('\x03');
    await sleep(100);
    this.io.discard(); // flush input (inWaiting/read until nothing is waiting)
    for (let retry = 0; ; retry++) {
      await this.io.write('\r\x01');
      if ((await this.readUntil(1, RAW_BANNER + '>')).endsWith(RAW_BANNER + '>')) break;
      if (retry >= 4) throw new Error('could not enter raw repl');
      await sleep(200);
    }
    await this.io.write('\x04');
    if (!(await this.readUntil(1, 'soft reboot\r\n')).endsWith('soft reboot\r\n')) throw new Error('could not enter raw repl');
    await sleep(500);
    await this.io.write('\x03');
    await sleep(100);
    await this.io.write('\x03');
    if (!(await this.readUntil(1, RAW_BANNER)).endsWith(RAW_BANNER)) throw new Error('could not enter raw repl');
  }

  async exitRawRepl(): Promise<void> {
    await this.io.write('\r\x02');
  }

  async exec(command: string): Promise<void> {
    if (!(await this.readUntil(1, '>')).endsWith('>')) throw new Error('could not enter raw repl');
    const bytes = new TextEncoder().encode(command);
    for (let i = 0; i < bytes.length; i += 256) {
      await this.io.write(bytes.subarray(i, i + 256));
      await sleep(10);
    }
    await this.io.write('\x04');
    const ok = new TextDecoder().decode(await this.io.read(2, 10_000));
    if (ok !== 'OK') throw new Error(`could not exec command (response: ${JSON.stringify(ok)})`);
    const out = await this.readUntil(1, '\x04');
    if (!out.endsWith('\x04')) throw new Error('timeout waiting for first EOF reception');
    const err = await this.readUntil(1, '\x04');
    if (!err.endsWith('\x04')) throw new Error('timeout waiting for second EOF reception');
    if (err.length > 1) throw new Error(err);
  }

  /** ampy's Files.put. */
  async put(name: string, data: Uint8Array): Promise<void> {
    await this.enterRawRepl();
    await this.exec(`f = open('${name}', 'wb')`);
    for (let i = 0; i < data.length; i += AMPY_CHUNK) await this.exec(`f.write(${pyRepr(data.subarray(i, i + AMPY_CHUNK))})`);
    await this.exec('f.close()');
    await this.exitRawRepl();
  }
}

async function ampy(files: ProgramFile[]): Promise<number> {
  const board = await idleBoard();
  const t0 = performance.now();
  try {
    // One `ampy put` per file: each opens the port, puts, exits the raw REPL and closes.
    for (const f of files) {
      const io = await SerialStream.open(board.port, BAUD);
      try {
        await new AmpyPyboard(io).put(f.name, f.bytes);
      } finally {
        await io.close();
      }
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await board.close();
  }
}

export default async function (): Promise<BenchResults> {
  const files = program();
  const payload = files.reduce((n, f) => n + f.bytes.length, 0);
  const ourSeconds = await ours(files);
  const ampySeconds = await ampy(files);
  const note = `${payload} B payload (3 firmware files + config.json) ÷ ${LINE_BYTES_PER_S} B/s line rate`;
  return {
    'upload.esp8266.115200': { value: ourSeconds, unit: 's', ratio: payload / ourSeconds / LINE_BYTES_PER_S, note: `ours, with sha256 check and rename; ${note}` },
    'upload.ampy.115200': { value: ampySeconds, unit: 's', ratio: payload / ampySeconds / LINE_BYTES_PER_S, note: `adafruit-ampy 1.1 put, 32-byte execs; ${note}` },
    'upload.speedup': { value: ampySeconds / ourSeconds, unit: '×', note: 'ampy time ÷ ours' },
  };
}
