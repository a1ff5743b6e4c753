// Faults on demand, each injected in the middle of a compressed write by the real esptool-js:
// every one must end in an error within a bounded time, never a hang.
import { createHash } from 'node:crypto';
import type { ESPLoader } from 'esptool-js';
import { describe, expect, it } from 'vitest';
import { boardPerTest, loaderFor, within } from './esptool-harness.ts';
import { testImage, type Board } from './index.ts';

const md5 = (d: Uint8Array): string => createHash('md5').update(d).digest('hex');
/** esptool-js gives a block 3 attempts of ≥ 3 s each (ERASE_WRITE_TIMEOUT_PER_MB, WRITE_BLOCK_ATTEMPTS). */
const BOUND_MS = 20_000;

let board: Board | undefined;
const newBoard = boardPerTest();

/** Start writing the test image; `fault` runs once a quarter of it has gone. */
function writeWithFault(loader: ESPLoader, chip: 'esp8266' | 'esp32', fault: () => void): Promise<void> {
  let injected = false;
  return loader.writeFlash({
    fileArray: [{ data: testImage(chip), address: chip === 'esp8266' ? 0 : 0x1000 }],
    flashSize: 'keep',
    flashMode: 'keep',
    flashFreq: 'keep',
    eraseAll: false,
    compress: true,
    calculateMD5Hash: md5,
    reportProgress: (_i, written, total) => {
      if (!injected && written > total / 4) {
        injected = true;
        fault();
      }
    },
  });
}

async function connected(chip: 'esp8266' | 'esp32'): Promise<{ b: Board; loader: ESPLoader; disconnect: () => Promise<void> }> {
  board = newBoard({ chip, timeScale: 0.05 });
  const b = board;
  const { loader, transport } = loaderFor(b, 460800);
  await within(20_000, loader.main());
  return { b, loader, disconnect: () => transport.disconnect().catch(() => {}) };
}

describe('faults mid-write end in an error, in bounded time', () => {
  it('drop: every byte to the board lost', { timeout: 60_000 }, async () => {
    const { b, loader, disconnect } = await connected('esp8266');
    const t0 = Date.now();
    await expect(within(BOUND_MS, writeWithFault(loader, 'esp8266', () => b.faults.drop({ direction: 'toBoard' })))).rejects.toThrow(
      /Serial data stream stopped|No serial data received|Failed to write/,
    );
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    await disconnect();
  });

  it('flip: bits flipped on the way to the board', { timeout: 60_000 }, async () => {
    const { b, loader, disconnect } = await connected('esp32');
    await expect(within(BOUND_MS, writeWithFault(loader, 'esp32', () => b.faults.flip({ direction: 'toBoard', rate: 0.01 })))).rejects.toThrow();
    await disconnect();
  });

  it('stall: the answers stop coming', { timeout: 60_000 }, async () => {
    const { b, loader, disconnect } = await connected('esp8266');
    await expect(within(BOUND_MS, writeWithFault(loader, 'esp8266', () => b.faults.stall('toHost')))).rejects.toThrow();
    await disconnect();
  });

  it('stall toward the board blocks the writer until cleared, then the write completes', { timeout: 60_000 }, async () => {
    const { b, loader, disconnect } = await connected('esp8266');
    let resumed = false;
    const write = writeWithFault(loader, 'esp8266', () => {
      b.faults.stall('toBoard');
      setTimeout(() => {
        resumed = true;
        b.faults.clear();
      }, 1000);
    });
    await within(30_000, write);
    expect(resumed).toBe(true);
    expect(md5(b.flash.read(0, testImage('esp8266').length))).toBe(md5(testImage('esp8266')));
    await disconnect();
  });

  it('unplug: esptool-js fails in bounded time; replug gives the same board, flash intact', { timeout: 60_000 }, async () => {
    const { b, loader } = await connected('esp8266');
    const t0 = Date.now();
    await expect(within(BOUND_MS, writeWithFault(loader, 'esp8266', () => b.faults.unplug()))).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(b.port.connected).toBe(false);
    expect(b.state).toBe('off');
    await expect(b.port.open({ baudRate: 115200 })).rejects.toThrow('The device has been lost.');
    const written = b.flash.read(0, 0x10000);
    expect(md5(written)).toBe(md5(testImage('esp8266').subarray(0, 0x10000)));

    b.faults.replug();
    expect(b.port.connected).toBe(true);
    expect(md5(b.flash.read(0, 0x10000))).toBe(md5(written));
    const again = loaderFor(b, 115200);
    await within(20_000, again.loader.main());
    expect(await again.loader.chip.readMac(again.loader)).toBe('5c:cf:7f:3f:9a:2c');
    await again.transport.disconnect();
  });
});

describe('unplug at the port', () => {
  it('errors an open port\'s streams with NetworkError; nothing waits forever', async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05 });
    const port = board.port;
    await port.open({ baudRate: 115200 });
    const reader = port.readable!.getReader();
    const writer = port.writable!.getWriter();
    const pendingRead = reader.read();
    let disconnected = false;
    port.addEventListener('disconnect', () => (disconnected = true));
    board.faults.unplug();
    await expect(within(1000, pendingRead)).rejects.toMatchObject({ name: 'NetworkError' });
    await expect(within(1000, writer.write(new Uint8Array(8)))).rejects.toMatchObject({ name: 'NetworkError' });
    expect(disconnected).toBe(true);
    expect(port.readable).toBeNull();
    await port.close();
    board.faults.replug();
    await port.open({ baudRate: 115200 });
    expect(port.readable).not.toBeNull();
    await port.close();
  });
});
