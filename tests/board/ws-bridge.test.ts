// The WebSocket bridge and the page's navigator.serial stand-in, in Debian's Chromium, in front of
// real virtual boards: the page resets a board into download mode and gets SYNC answered, sees an
// unplug as Chrome shows one, picks boards by name and filter, and sees the lamp pin change.

import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from '@playwright/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BoardAppFactory } from './app.ts';
import { createBoard, testImage, type Board, type BoardOptions } from './index.ts';
import { BOARD_EVENT } from './page/bridge-protocol.ts';
import { standinScript } from './standin-bundle.ts';
import { addVirtualSerial } from './virtual-serial.ts';
import { bridged, startWsBridge, type BridgedBoard, type WsBridge } from './ws-bridge.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

// Page-side helpers, installed beside the stand-in. Plain JavaScript: it runs in the page as is.
// The reset is esptool-js 0.7's ClassicReset (its pauses are the reset pulse, not waits for a
// result); the SYNC request is esptool's (docs, "Serial Protocol"): command 0x08, 36 data bytes.
const PAGE_HELPERS = `
window.nyalaTest = {
  async classicReset(port) {
    await port.setSignals({ dataTerminalReady: false, requestToSend: true });
    await new Promise((r) => setTimeout(r, 100));
    await port.setSignals({ dataTerminalReady: true, requestToSend: false });
    await new Promise((r) => setTimeout(r, 50));
    await port.setSignals({ dataTerminalReady: false, requestToSend: false });
  },
  /** Sends SYNC and returns the first SLIP frame answering it (hex), or what came instead. */
  async sync(port, timeoutMs) {
    const reader = port.readable.getReader();
    const writer = port.writable.getWriter();
    const frame = [0xc0, 0x00, 0x08, 36, 0, 0, 0, 0, 0, 0x07, 0x07, 0x12, 0x20];
    for (let i = 0; i < 32; i++) frame.push(0x55);
    frame.push(0xc0);
    await writer.write(new Uint8Array(frame));
    writer.releaseLock();
    const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    let seen = '';
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) {
        const timer = new Promise((r) => setTimeout(() => r({ timeout: true }), deadline - Date.now()));
        const got = await Promise.race([reader.read(), timer]);
        if (got.timeout || got.done) break;
        seen += hex(got.value);
        const m = /c0(0108[0-9a-f]*?)c0/.exec(seen);
        if (m) return m[1];
      }
      return 'no SYNC answer; got ' + seen;
    } finally {
      await reader.cancel();
      reader.releaseLock();
    }
  },
};
`;

// The ROM's SYNC answer: response 0x01, command 0x08, two data bytes, value 0x20120707, status 0.
const SYNC_REPLY = '01' + '08' + '0200' + '07071220' + '0000';

/** esptool-js as it ships on npm, bundled for the page (`window.esptool`). */
async function esptoolScript(): Promise<string> {
  const result = await build({
    stdin: { contents: "import * as esptool from 'esptool-js'; window.esptool = esptool;", resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

let browser: Browser;
let site: Server;
let siteUrl: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the browser tests run Debian's Chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  // A page on http://127.0.0.1, a secure context, so Chromium's own navigator.serial is there to wrap.
  site = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>nyala virtual board</title>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const address = site.address();
  if (address === null || typeof address === 'string') throw new Error('test site has no port');
  siteUrl = `http://127.0.0.1:${address.port}/`;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function boardOf(options: BoardOptions): Board {
  const board = createBoard(options);
  cleanups.push(() => board.close());
  return board;
}

async function bridgeOf(boards: Record<string, BridgedBoard>): Promise<WsBridge> {
  const bridge = await startWsBridge({ boards });
  cleanups.push(() => bridge.close());
  return bridge;
}

async function pageOn(bridge: WsBridge): Promise<Page> {
  const context = await browser.newContext();
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.addInitScript({ content: await standinScript(bridge.url) });
  await page.addInitScript({ content: PAGE_HELPERS });
  await page.goto(siteUrl);
  return page;
}

describe('WebSocket bridge and navigator.serial stand-in', () => {
  it('gives the page a port on the board: DTR/RTS reset it into download mode and SYNC is answered', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const bridge = await bridgeOf({ lamp: bridged(board) });
    const page = await pageOn(bridge);

    const result = await page.evaluate(async () => {
      const t = (window as unknown as { nyalaTest: { classicReset(p: unknown): Promise<void>; sync(p: unknown, ms: number): Promise<string> } }).nyalaTest;
      const serial = (navigator as unknown as { serial: { requestPort(): Promise<{ open(o: object): Promise<void>; close(): Promise<void>; getInfo(): object }> } }).serial;
      const port = await serial.requestPort();
      await port.open({ baudRate: 115200 });
      await t.classicReset(port);
      const answer = await t.sync(port, 5000);
      // Chrome's readable is a byte stream: a BYOB reader works on it.
      const readable = (port as unknown as { readable: ReadableStream<Uint8Array> }).readable;
      const byob = (() => {
        try {
          readable.getReader({ mode: 'byob' }).releaseLock();
          return 'byob reader';
        } catch (e) {
          return String(e);
        }
      })();
      // The same board asked for again (another tab, say) cannot be opened while this one holds it.
      const clash = await (await serial.requestPort()).open({ baudRate: 115200 }).then(
        () => 'opened twice',
        (e: Error) => `${e.name}: ${e.message}`,
      );
      await port.close();
      return { answer, byob, clash, info: port.getInfo() };
    });

    expect(result.answer).toBe(SYNC_REPLY);
    expect(result.clash).toBe('NetworkError: Failed to open serial port.');
    expect(result.byob).toBe('byob reader');
    // The ESP8266 board's USB-serial chip, a CH340 (chip.ts).
    expect(result.info).toEqual({ usbVendorId: 0x1a86, usbProductId: 0x7523 });
    expect(board.state).toBe('download');
  });

  it('shows an unplug as Chrome does (the read fails, disconnect fires) and a replug as connect', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const bridge = await bridgeOf({ lamp: bridged(board) });
    const page = await pageOn(bridge);

    await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const serial = (navigator as unknown as { serial: EventTarget & { requestPort(): Promise<EventTarget & { open(o: object): Promise<void>; readable: ReadableStream }> } }).serial;
      const port = await serial.requestPort();
      const events: string[] = [];
      w.events = events;
      w.port = port;
      port.addEventListener('disconnect', () => events.push('port:disconnect'));
      serial.addEventListener('disconnect', (e) => events.push(`serial:disconnect:${String(e.target === port)}`));
      serial.addEventListener('connect', (e) => events.push(`serial:connect:${String(e.target === port)}`));
      await port.open({ baudRate: 115200 });
      const reader = port.readable.getReader();
      w.reader = reader;
      // Drain whatever the board says until the read fails.
      w.readEnd = (async () => {
        for (;;) {
          try {
            const { done } = await reader.read();
            if (done) return 'done';
          } catch (e) {
            return `${(e as Error).name}: ${(e as Error).message}`;
          }
        }
      })();
    });

    board.faults.unplug();
    const readEnd = await page.evaluate(() =>
      Promise.race([(window as unknown as { readEnd: Promise<string> }).readEnd, new Promise<string>((r) => setTimeout(() => r('read still pending after 5 s'), 5000))]),
    );
    expect(readEnd).toBe('NetworkError: The device has been lost.');
    await page.waitForFunction(() => (window as unknown as { events: string[] }).events.length >= 2, null, { timeout: 5000 });
    const afterUnplug = await page.evaluate(async () => {
      const w = window as unknown as { events: string[]; port: { readable: unknown; connected: boolean; open(o: object): Promise<void> } };
      const reopen = await w.port.open({ baudRate: 115200 }).then(
        () => 'opened',
        (e: Error) => e.name,
      );
      return { events: [...w.events], readable: w.port.readable, connected: w.port.connected, reopen };
    });
    expect(afterUnplug.events).toEqual(['port:disconnect', 'serial:disconnect:true']);
    expect(afterUnplug.readable).toBeNull();
    expect(afterUnplug.connected).toBe(false);
    expect(afterUnplug.reopen).toBe('NetworkError');

    board.faults.replug();
    await page.waitForFunction(() => (window as unknown as { events: string[] }).events.includes('serial:connect:true'), null, { timeout: 5000 });
    const afterReplug = await page.evaluate(async () => {
      const w = window as unknown as {
        reader: { releaseLock(): void };
        nyalaTest: { classicReset(p: unknown): Promise<void>; sync(p: unknown, ms: number): Promise<string> };
        port: { connected: boolean; open(o: object): Promise<void>; close(): Promise<void> };
      };
      w.reader.releaseLock();
      await w.port.open({ baudRate: 115200 });
      await w.nyalaTest.classicReset(w.port);
      const answer = await w.nyalaTest.sync(w.port, 5000);
      await w.port.close();
      return { connected: w.port.connected, answer };
    });
    expect(afterReplug).toEqual({ connected: true, answer: SYNC_REPLY });
  });

  it("wraps the browser's own navigator.serial: no virtual board, or a filter that excludes it, goes to Chromium's chooser", async () => {
    const lamp = boardOf({ chip: 'esp8266', timeScale: 1 });
    const devkit = boardOf({ chip: 'esp32', timeScale: 1 });
    const bridge = await bridgeOf({ lamp: bridged(lamp), devkit: bridged(devkit) });
    const page = await pageOn(bridge);
    // Everything here runs through CDP without a user gesture: page.evaluate lends one, and with
    // it Chromium's own requestPort opens a chooser nobody can answer in a headless browser. The
    // stand-in asks for no gesture; Chromium's requestPort then refuses at once, in its own words.
    const cdp = await page.context().newCDPSession(page);
    const run = async (expression: string): Promise<unknown> => {
      const { result } = await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true, userGesture: false });
      return result.value as unknown;
    };
    const request = (filters?: object[]): Promise<unknown> =>
      run(`navigator.serial.requestPort(${filters ? JSON.stringify({ filters }) : ''}).then(
        (port) => ({ board: port.virtualBoard, info: port.getInfo() }),
        (e) => ({ error: e.name + ': ' + e.message }))`);
    const chromiumRefusal = { error: expect.stringMatching(/^SecurityError: .*user gesture/) as unknown };

    // Still Chromium's Serial object, not a replacement.
    expect(await run('Object.getPrototypeOf(navigator.serial).constructor.name')).toBe('Serial');

    bridge.choose(null);
    expect(await request()).toEqual(chromiumRefusal);

    bridge.choose('devkit');
    // The ESP32 DevKit's USB-serial chip, a CP2102 (chip.ts).
    expect(await request()).toEqual({ board: 'devkit', info: { usbVendorId: 0x10c4, usbProductId: 0xea60 } });
    expect(await request([{ usbVendorId: 0x1a86 }])).toEqual(chromiumRefusal);
    expect(await request([{ usbVendorId: 0x10c4, usbProductId: 0xea60 }])).toEqual({
      board: 'devkit',
      info: { usbVendorId: 0x10c4, usbProductId: 0xea60 },
    });

    bridge.choose('lamp');
    expect(await request()).toEqual({ board: 'lamp', info: { usbVendorId: 0x1a86, usbProductId: 0x7523 } });
    // getPorts() lists Chromium's ports (none here) and every virtual port the page was given.
    expect(await run('navigator.serial.getPorts().then((ports) => ports.length)')).toBe(3);
    // An unplugged board is not offered, as a device missing from the chooser.
    lamp.faults.unplug();
    expect(await request()).toEqual(chromiumRefusal);
  });

  it('provides navigator.serial where the browser has none (Firefox, a page not in a secure context)', async () => {
    const board = boardOf({ chip: 'esp32', timeScale: 1 });
    const bridge = await bridgeOf({ devkit: bridged(board) });
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    // Runs before the stand-in: this page has no Web Serial at all.
    await page.addInitScript({ content: 'delete Navigator.prototype.serial;' });
    await page.addInitScript({ content: await standinScript(bridge.url) });
    await page.goto(siteUrl);

    const result = await page.evaluate(async () => {
      const serial = (navigator as unknown as { serial: { requestPort(): Promise<{ virtualBoard: string }>; getPorts(): Promise<unknown[]> } }).serial;
      const port = await serial.requestPort();
      return { board: port.virtualBoard, ports: (await serial.getPorts()).length };
    });
    expect(result).toEqual({ board: 'devkit', ports: 1 });

    bridge.choose(null);
    const none = await page.evaluate(() =>
      (navigator as unknown as { serial: { requestPort(): Promise<unknown> } }).serial.requestPort().then(
        () => 'a port',
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    );
    expect(none).toBe('NotFoundError: No port selected by the user.');
  });

  it('carries unmodified esptool-js in the page: stub, baud change by reopening, MAC, flash size, compressed write', { timeout: 90_000 }, async () => {
    const board = boardOf({ chip: 'esp8266', flashSize: '1MB', timeScale: 0.1 });
    const bridge = await bridgeOf({ lamp: bridged(board) });
    const page = await pageOn(bridge);
    await page.addScriptTag({ content: await esptoolScript() });
    const image = testImage('esp8266').subarray(0, 0x10000);

    const result = await page.evaluate(async (data) => {
      type Loader = {
        main(): Promise<string>;
        chip: { readMac(l: Loader): Promise<string> };
        detectFlashSize(): Promise<string>;
        writeFlash(o: object): Promise<void>;
      };
      const { ESPLoader, Transport } = (window as unknown as { esptool: { ESPLoader: new (o: object) => Loader; Transport: new (p: unknown, tracing: boolean) => { disconnect(): Promise<void> } } }).esptool;
      const serial = (navigator as unknown as { serial: { requestPort(): Promise<unknown> } }).serial;
      const lines: string[] = [];
      const terminal = { clean: () => undefined, writeLine: (l: string) => lines.push(l), write: (l: string) => lines.push(l) };
      const transport = new Transport(await serial.requestPort(), false);
      const loader = new ESPLoader({ transport, baudrate: 460800, terminal });
      const chip = await loader.main();
      const mac = await loader.chip.readMac(loader);
      const flashSize = await loader.detectFlashSize();
      await loader.writeFlash({
        fileArray: [{ data: new Uint8Array(data), address: 0 }],
        flashSize: 'keep',
        flashMode: 'keep',
        flashFreq: 'keep',
        eraseAll: false,
        compress: true,
      });
      await transport.disconnect();
      return { chip, mac, flashSize, log: lines.join('\n') };
    }, [...image]);

    expect(result.chip).toBe('ESP8266EX');
    expect(result.mac).toBe([...board.mac].map((b) => b.toString(16).padStart(2, '0')).join(':'));
    expect(result.flashSize).toBe('1MB');
    expect(result.log).toContain('Stub running...');
    // The board end followed esptool-js to 460800, which the page could only reach by closing
    // the port and opening it again at the new baud.
    expect(board.baud).toBe(460800);
    expect(Buffer.from(board.flash.read(0, image.length)).equals(Buffer.from(image))).toBe(true);
  });

  it('tells the page when the lamp pin changes', async () => {
    // A small application on a board with a valid image: '1' turns the lamp on (GPIO2 low, the
    // active-low LED of ESP-12 modules), '0' turns it off.
    const lampApp: BoardAppFactory = (ctx) => ({
      receive(bytes) {
        for (const b of bytes) if (b === 0x30 || b === 0x31) ctx.setGpio(2, b === 0x31 ? 0 : 1);
      },
      async stop() {},
    });
    const board = boardOf({ chip: 'esp8266', timeScale: 1, flashImage: testImage('esp8266'), app: lampApp });
    await board.waitForState('app', 10_000);
    // The one-call set-up later Playwright tests use, on a whole browser context.
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const bridge = await addVirtualSerial(context, { lamp: board });
    cleanups.push(() => bridge.close());
    const page = await context.newPage();
    await page.goto(siteUrl);

    await page.evaluate(async (eventName) => {
      const w = window as unknown as Record<string, unknown>;
      const seen: string[] = [];
      w.seen = seen;
      window.addEventListener(eventName, (e) => {
        const d = (e as CustomEvent<{ board: string; pin: number; level: number }>).detail;
        seen.push(`${d.board}:${d.pin}=${d.level}`);
      });
      const serial = (navigator as unknown as { serial: { requestPort(): Promise<{ open(o: object): Promise<void>; writable: WritableStream<Uint8Array> }> } }).serial;
      const port = await serial.requestPort();
      await port.open({ baudRate: 115200 });
      w.writer = port.writable.getWriter();
    }, BOARD_EVENT);
    const seen = () => page.evaluate(() => [...(window as unknown as { seen: string[] }).seen]);

    // The level when the page got the port.
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length >= 1, null, { timeout: 5000 });
    expect(await seen()).toEqual(['lamp:2=1']);

    await page.evaluate(() => (window as unknown as { writer: WritableStreamDefaultWriter<Uint8Array> }).writer.write(new TextEncoder().encode('1')));
    await board.gpio.waitFor(2, 0, 5000);
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length >= 2, null, { timeout: 5000 });
    await page.evaluate(() => (window as unknown as { writer: WritableStreamDefaultWriter<Uint8Array> }).writer.write(new TextEncoder().encode('0')));
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length >= 3, null, { timeout: 5000 });
    expect(await seen()).toEqual(['lamp:2=1', 'lamp:2=0', 'lamp:2=1']);
  });
});
