// `npm run board -- --rfc2217 PORT …`: one virtual board, in real time, behind an RFC 2217 server,
// so esptool.py, mpremote or pyserial can use it as `rfc2217://127.0.0.1:PORT`. Prints exactly one
// line on stdout, `ready rfc2217://127.0.0.1:PORT`, once it listens; anything else goes to
// stderr. Serves until SIGINT or SIGTERM, then closes the server and the board and exits 0.

import { readFile } from 'node:fs/promises';
import { CliError, USAGE, parseCliArgs, type CliOptions } from './cli-args.ts';
import { CHIPS } from './chip.ts';
import { createBoard, parseFlashSize, testImage, type BoardOptions } from './index.ts';
import { micropythonApp } from './micropython/index.ts';
import { followPort } from './follow-port.ts';
import { startRfc2217Server } from './rfc2217.ts';

/** How long a clean shutdown may take before the process gives up on it. */
const SHUTDOWN_LIMIT_MS = 5000;

function fail(message: string, code: number): never {
  process.stderr.write(`board: ${message}\n`);
  process.exit(code);
}

/** The whole flash at power-on: `data` at `offset`, the rest erased NOR (all ones). */
function flashWith(data: Uint8Array, offset: number, options: CliOptions, what: string): Uint8Array {
  const size = parseFlashSize(options.flashSize);
  if (offset + data.length > size) fail(`${what} at ${offset} does not fit in ${size} bytes of flash`, 1);
  const image = new Uint8Array(size).fill(0xff);
  image.set(data, offset);
  return image;
}

async function flashImage(options: CliOptions): Promise<Uint8Array | undefined> {
  if (options.flashFile !== undefined) {
    const { path, offset } = options.flashFile;
    const data = await readFile(path).catch((error: unknown) => fail(`cannot read ${path}: ${String(error)}`, 1));
    return flashWith(data, offset, options, path);
  }
  if (options.micropython) {
    // A board that has MicroPython flashed already: the generated image at the boot offset.
    return flashWith(testImage(options.chip), CHIPS[options.chip].bootOffset, options, 'the MicroPython image');
  }
  return undefined;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliError) fail(`${error.message}\n${USAGE}`, 2);
    throw error;
  }
  const boardOptions: BoardOptions = { chip: options.chip, timeScale: 1, accessPoints: options.accessPoints };
  if (options.flashSize !== undefined) boardOptions.flashSize = options.flashSize;
  if (options.mac !== undefined) boardOptions.mac = options.mac;
  if (options.nativeUsb) boardOptions.resetCircuit = 'usb-serial-jtag';
  const image = await flashImage(options);
  if (image !== undefined) boardOptions.flashImage = image;
  // What a valid image runs: MicroPython (virtual board part 2) or the echo application.
  if (options.micropython) boardOptions.app = micropythonApp;
  const board = createBoard(boardOptions);

  const server = await startRfc2217Server({
    // An ESP32-C3 on its USB-Serial-JTAG comes back as a new port after a reset: serve that one.
    port: followPort(board),
    tcpPort: options.rfc2217,
    signature: `Nyala virtual ${options.chip}`,
    onError: (error) => process.stderr.write(`board: client dropped: ${String(error)}\n`),
  }).catch((error: unknown) => fail(`cannot listen on port ${options.rfc2217}: ${String(error)}`, 1));

  process.stdout.write(`ready ${server.url}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => fail('shutdown took too long', 1), SHUTDOWN_LIMIT_MS).unref();
    void (async () => {
      await server.close();
      await board.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
