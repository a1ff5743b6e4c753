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
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRMWARE_FILES, firmwareSources, startLamp, type Lamp } from '../unit/firmware/harness.ts';
import type { BenchResults } from './types.ts';

const EOT = String.fromCharCode(4);
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

async function enterRawRepl(lamp: Lamp, timeoutMs = 30_000): Promise<void> {
  await lamp.uart.waitFor(/>>> $/, timeoutMs);
  const at = lamp.uart.text.length;
  await lamp.uart.write('\x01');
  await lamp.uart.waitFor(/raw REPL; CTRL-B to exit\r\n>$/, timeoutMs, at);
}

/** Runs `code` at the raw REPL (MicroPython's pyboard protocol) and returns what it printed. */
async function rawExec(lamp: Lamp, code: string, timeoutMs = 30_000): Promise<string> {
  const from = lamp.uart.text.length;
  await lamp.uart.write(code.replace(/\n/g, '\r\n') + '\x04');
  // The answer: OK, the output, Ctrl-D, the error text, Ctrl-D, the prompt.
  const m = await lamp.uart.waitFor(new RegExp(`OK([\\s\\S]*?)${EOT}([\\s\\S]*?)${EOT}>`), timeoutMs, from);
  if (m[2]) throw new Error(`the board raised:\n${m[2]}`);
  return m[1]!;
}

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

export default async function (): Promise<BenchResults> {
  const tutorial: Record<string, string> = {};
  for (const f of FIRMWARE_FILES) tutorial[f] = await readFile(path.join(TUTORIAL_DIR, f), 'utf8');
  const ours = await heapOf(await firmwareSources());
  const peer = await heapOf(tutorial);
  return {
    'firmware.heap.esp8266': {
      value: ours.alloc,
      unit: 'bytes',
      ratio: ours.alloc / peer.alloc,
      note: `÷ the tutorial's files (${peer.alloc} B); ${ours.free} B of the ESP8266's heap left`,
    },
  };
}
