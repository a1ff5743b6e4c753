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
// imported (main.py without its last line, `main()`), then load_config(), Switch (the lamp's pin and its commands),
// wifi.connect() and connect() (CONNECT, SUBSCRIBE, the signed online and state), one turn of
// the main loop (check_msg, which pings), all kept alive in globals; then gc.collect() and
// gc.mem_free(). gc.mem_alloc() there counts what a real boot leaves allocated too (1600 B).
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRMWARE_FILES, deviceTopics, enterRawRepl, firmwareSources, lampConfig, rawExec, startLamp } from '../unit/firmware/harness.ts';
import type { BenchResults } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TUTORIAL_DIR = path.join(root, 'tests', 'fixtures', 'tutorial');

// Three raw-REPL runs: the interpreter frees garbage reliably only between top-level runs (what a
// board's REPL does between lines too), so the figures are taken in runs of their own.
const BEFORE = `import gc
gc.collect()
before = gc.mem_alloc()
`;
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
const AFTER = `gc.collect()
print('HEAP', gc.mem_alloc() - before, gc.mem_free())
`;

async function heapOf(files: Record<string, string>): Promise<{ alloc: number; free: number }> {
  const onBoard: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) onBoard[`lib/${name}`] = text;
  const lamp = await startLamp({ chip: 'esp8266', files: onBoard, config: null });
  try {
    await enterRawRepl(lamp);
    await rawExec(lamp, BEFORE);
    await rawExec(lamp, IMPORT);
    const out = await rawExec(lamp, AFTER);
    const m = /HEAP (\d+) (\d+)/.exec(out);
    if (!m) throw new Error(`no figure in the board's answer: ${out}`);
    return { alloc: Number(m[1]), free: Number(m[2]) };
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
const FREE = `gc.collect()
print('FREE', gc.mem_free(), gc.mem_alloc())
`;

/** gc.mem_free() with the signed firmware imported and connected to a local broker. */
async function connectedHeap(files: Record<string, string>): Promise<{ free: number; alloc: number }> {
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
    await rawExec(lamp, BEFORE);
    await rawExec(lamp, CONNECT);
    await rawExec(lamp, CONNECTED);
    const out = await rawExec(lamp, FREE);
    const m = /FREE (\d+) (\d+)/.exec(out);
    if (!m) throw new Error(`no figure in the board's answer: ${out}`);
    return { free: Number(m[1]), alloc: Number(m[2]) };
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
      note: `gc.mem_free() of the ESP8266's 38 KB heap, signed firmware imported and connected (${connected.alloc} B allocated); ratio ÷ the 24 KB goal`,
    },
    'firmware.heap.esp8266': {
      value: ours.alloc,
      unit: 'bytes',
      ratio: ours.alloc / peer.alloc,
      note: `÷ the tutorial's files (${peer.alloc} B); ${ours.free} B of the ESP8266's heap left`,
    },
  };
}
