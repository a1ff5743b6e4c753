// firmware.heap.esp8266 (docs/contracts.md, "Benchmarks"): what importing the lamp program's three
// files leaves allocated on the virtual ESP8266 (the real MicroPython, gc.mem_alloc() after
// gc.collect()), beside the same figure for the tutorial's three files measured the same way.
//
// How: the files go in /lib on the board's filesystem (on sys.path, and nothing there runs at
// boot), and scripts sent over the raw REPL measure on a fresh board:
//   wifi and mqtt are imported; main.py is run from its source into a dict of its own, as an import
//   would, with the two lines of the tutorial's main.py that start the network removed
//   (`Wifi().connect("Suko","sooko9999")` and the final `Iot()`: the first would spin forever and the
//   second ends in machine.reset() without a broker). Those lines are not in our main.py, whose
//   main() finds no config.json there, prints its line and returns.
//
// firmware.heap.free.esp8266: gc.mem_free() on the virtual ESP8266 (its heap is MicroPython's
// `static char heap[38 * 1024]`, ports/esp8266/main.c) once the signed firmware is imported and
// connected: a signed config.json on the board, a local aedes broker, and over the raw REPL, each
// step a run of its own so garbage is collected between them as on a board: the three files
// imported (main.py without its last line, `main()`), then load_config(), Switch (the lamp's pin
// and what it does with commands), wifi.connect() and connect() (CONNECT, SUBSCRIBE, the signed
// online and state), one turn of the main loop (check_msg, which pings), all kept alive in
// globals; then gc.collect() and gc.mem_free(). gc.mem_alloc() there counts what a real boot
// leaves allocated too (1600 B).
//
// Not counted, in either figure: `binascii`. On the ESP8266 it is a C module in flash
// (extmod/modbinascii.c) and importing it allocates nothing; the WebAssembly MicroPython the
// virtual board runs has no C binascii and imports micropython-lib's binascii.py instead, whose
// tables take ~3.1 KB of heap. So binascii is imported before the baseline of
// firmware.heap.esp8266 (for our files and the tutorial's alike), and for
// firmware.heap.free.esp8266 its allocation, measured on the same board before anything else, is
// given back; the raw gc.mem_free() is in the note.
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRMWARE_FILES, deviceTopics, enterRawRepl, firmwareSources, lampConfig, rawExec, startLamp, type Lamp } from '../unit/firmware/harness.ts';
import type { BenchResults } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TUTORIAL_DIR = path.join(root, 'tests', 'fixtures', 'tutorial');

// The code runs in raw-REPL runs of its own, and every figure is a settled reading (see
// settled()): the interpreter's collector is conservative and a run's garbage is freed reliably
// only one or two runs later (stale references to it linger, e.g. on the C stack), so a
// gc.collect() right after a run can still count up to ~1.7 KB of that run's garbage.
const IMPORT = `import wifi
import mqtt
f = open('/lib/main.py')
src = f.read()
f.close()
src = src.replace('Wifi().connect("Suko","sooko9999")\\n', '').replace('\\nIot()\\n', '\\n')
g = {'__name__': 'main'}
exec(src, g)
del f, src
`;

/** gc.mem_alloc() and gc.mem_free() after gc.collect(), once two runs in a row agree. */
async function settled(lamp: Lamp): Promise<{ alloc: number; free: number }> {
  let last: { alloc: number; free: number } | undefined;
  for (let run = 0; run < 8; run++) {
    const out = await rawExec(lamp, "import gc\ngc.collect()\nprint('HEAP', gc.mem_alloc(), gc.mem_free())\n");
    const m = /HEAP (\d+) (\d+)/.exec(out);
    if (!m) throw new Error(`no figure in the board's answer: ${out}`);
    const now = { alloc: Number(m[1]), free: Number(m[2]) };
    if (last && last.alloc === now.alloc) return now;
    last = now;
  }
  throw new Error(`the heap did not settle: ${JSON.stringify(last)}`);
}

/** What binascii takes on this board (nothing on a real ESP8266, see the top); imports it. */
async function importBinascii(lamp: Lamp): Promise<number> {
  const before = await settled(lamp);
  await rawExec(lamp, 'import binascii\n');
  return (await settled(lamp)).alloc - before.alloc;
}

async function heapOf(files: Record<string, string>): Promise<{ alloc: number; free: number }> {
  const onBoard: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) onBoard[`lib/${name}`] = text;
  const lamp = await startLamp({ chip: 'esp8266', files: onBoard, config: null });
  try {
    await enterRawRepl(lamp);
    const rom = await importBinascii(lamp);
    const before = await settled(lamp);
    await rawExec(lamp, IMPORT);
    const after = await settled(lamp);
    return { alloc: after.alloc - before.alloc, free: after.free + rom };
  } finally {
    await lamp.close();
  }
}

const CONNECT = `import wifi
import mqtt
f = open('/lib/main.py')
src = f.read()
f.close()
g = {'__name__': 'main'}
exec(src.replace('\\nmain()\\n', '\\n'), g)
del f, src
`;
const CONNECTED = `c = g['load_config']()
switch = g['Switch'](c)
wifi.connect(c['ssid'], c['wifi_pass'])
client = g['connect'](c, c['client_id'] + '-0000', switch)
client.check_msg(200)
`;

/** gc.mem_free() with the signed firmware imported and connected to a local broker. */
async function connectedHeap(files: Record<string, string>): Promise<{ free: number; alloc: number; rom: number }> {
  const aedes = await Aedes.createBroker({});
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const onBoard: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) onBoard[`lib/${name}`] = text;
  const config = lampConfig({ port, clientId: 'nyala-bench', topics: deviceTopics('be0c40'), keepalive: 30, auth: { mode: 'signed', key: '000102030405060708090a0b0c0d0e0f' } });
  onBoard['config.json'] = JSON.stringify(config);
  const lamp = await startLamp({ chip: 'esp8266', files: onBoard, config: null });
  try {
    await enterRawRepl(lamp);
    const rom = await importBinascii(lamp);
    await rawExec(lamp, CONNECT);
    await rawExec(lamp, CONNECTED);
    const { free, alloc } = await settled(lamp);
    return { free: free + rom, alloc: alloc - rom, rom };
  } finally {
    await lamp.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
}

export default async function (): Promise<BenchResults> {
  const tutorial: Record<string, string> = {};
  for (const f of FIRMWARE_FILES) tutorial[f] = await readFile(path.join(TUTORIAL_DIR, f), 'utf8');
  const ours = await heapOf(await firmwareSources());
  const peer = await heapOf(tutorial);
  const connected = await connectedHeap(await firmwareSources());
  return {
    'firmware.heap.free.esp8266': {
      value: connected.free,
      unit: 'bytes',
      ratio: connected.free / (24 * 1024),
      note: `gc.mem_free() of the ESP8266's 38 KB heap, signed firmware imported and connected (${connected.alloc} B allocated), binascii's ${connected.rom} B given back (Python on the wasm build, C on the ESP8266: raw ${connected.free - connected.rom} B); ratio ÷ the 24 KB goal`,
    },
    'firmware.heap.esp8266': {
      value: ours.alloc,
      unit: 'bytes',
      ratio: ours.alloc / peer.alloc,
      note: `÷ the tutorial's files (${peer.alloc} B); ${ours.free} B of the ESP8266's heap left`,
    },
  };
}
