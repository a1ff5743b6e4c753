// Normal boot: the ROM's report, then the application on the UART; a board without a valid image
// complains and is reset by its watchdog, again and again.
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardApp, BoardAppContext } from './app.ts';
import { readPort, within } from './esptool-harness.ts';
import { ECHO_GREETING, createBoard, testImage, type Board } from './index.ts';

const latin1 = (b: Uint8Array): string => new TextDecoder('latin1').decode(b);

let board: Board | undefined;
afterEach(async () => {
  await board?.close();
  board = undefined;
});

/** Open the port, press RESET, read what comes at `baud`. */
async function resetAndRead(b: Board, baud: number, ms: number, until?: RegExp): Promise<string> {
  const reading = readPort(b, baud, ms, until);
  await new Promise((r) => setTimeout(r, 20));
  b.reset();
  return latin1(await reading);
}

describe('normal boot', () => {
  it('ESP8266: ROM report at 74880, then the application at 115200', { timeout: 20_000 }, async () => {
    board = createBoard({ chip: 'esp8266', timeScale: 0.05, flashImage: testImage('esp8266') });
    await board.waitForState('app', 5000);
    const rom = await resetAndRead(board, 74880, 3000, /csum 0x[0-9a-f]{2}\r\n/);
    expect(rom).toContain(' ets Jan  8 2013,rst cause:2, boot mode:(3,6)');
    expect(rom).toContain('load 0x40100000, len 31232, room 16 \r\ntail 0\r\nchksum 0x');
    expect(rom).toMatch(/load 0x3ffe83b0, len 1080, room \d+ \r\ntail \d+\r\nchksum 0x([0-9a-f]{2})\r\ncsum 0x\1\r\n/);
    const app = await resetAndRead(board, 115200, 3000, new RegExp(ECHO_GREETING));
    expect(app).toContain(ECHO_GREETING);
    await board.waitForState('app', 5000);
  });

  it('ESP32: ROM report and the application, both at 115200; the echo app echoes', { timeout: 20_000 }, async () => {
    board = createBoard({ chip: 'esp32', timeScale: 0.05, flashImage: new Uint8Array(0x1000).fill(0xff) });
    board.flash.preload(0x1000, testImage('esp32'));
    await board.waitForState('app', 5000);
    const text = await resetAndRead(board, 115200, 3000, new RegExp('entry 0x40080680\\r\\n' + ECHO_GREETING));
    expect(text).toContain('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)');
    expect(text).toContain('load:0x3fff0030,len:4540\r\nload:0x40078000,len:12788\r\nload:0x40080400,len:4176\r\nentry 0x40080680\r\n');

    const port = board.port;
    await port.open({ baudRate: 115200 });
    const reader = port.readable!.getReader();
    const writer = port.writable!.getWriter();
    await writer.write(new TextEncoder().encode('hello lamp'));
    let got = '';
    while (!got.includes('hello lamp')) got += latin1((await within(3000, reader.read())).value ?? new Uint8Array());
    writer.releaseLock();
    await reader.cancel();
    reader.releaseLock();
    await port.close();
  });

  it('hands the application its context: chip, MAC, shared flash, UART, GPIOs, reset', { timeout: 20_000 }, async () => {
    const contexts: BoardAppContext[] = [];
    const received: string[] = [];
    const app = (ctx: BoardAppContext): BoardApp => {
      contexts.push(ctx);
      ctx.setGpio(2, 0);
      void ctx.uartWrite(new TextEncoder().encode(`app ${contexts.length}\r\n`));
      return {
        receive: (bytes) => {
          received.push(latin1(bytes));
          if (latin1(bytes).includes('reset')) ctx.requestReset();
        },
        stop: async () => {},
      };
    };
    board = createBoard({ chip: 'esp8266', flashSize: '1MB', mac: '5c:cf:7f:00:00:01', timeScale: 0.05, app, flashImage: testImage('esp8266') });
    await board.gpio.waitFor(2, 0, 5000);
    const ctx = contexts[0]!;
    expect(ctx.chip).toBe('esp8266');
    expect(Array.from(ctx.mac)).toEqual([0x5c, 0xcf, 0x7f, 0, 0, 1]);
    expect(ctx.flashSize).toBe(1 << 20);
    expect(ctx.flash.buffer).toBeInstanceOf(SharedArrayBuffer);
    ctx.flash[0xf0000] = 0x12;
    expect(board.flash.read(0xf0000, 1)[0]).toBe(0x12);
    expect(ctx.rawPaste).toBe(true);
    expect(ctx.resetCause).toBe('power-on');
    expect(ctx.timeScale).toBe(0.05);

    const port = board.port;
    await port.open({ baudRate: 115200 });
    const writer = port.writable!.getWriter();
    await writer.write(new TextEncoder().encode('reset'));
    writer.releaseLock();
    await within(5000, (async () => {
      while (contexts.length < 2) await new Promise((r) => setTimeout(r, 5));
    })());
    expect(received.join('')).toContain('reset');
    expect(contexts[1]!.resetCause).toBe('software');
    expect(board.gpio.read(2)).toBe(0);
    await port.close();
  });
});

describe('no valid image', () => {
  it('ESP32 with erased flash: "invalid header", watchdog reset, again', { timeout: 20_000 }, async () => {
    board = createBoard({ chip: 'esp32', timeScale: 0.05 });
    const text = await resetAndRead(board, 115200, 3000, /RTCWDT_RTC_RESET[\s\S]*invalid header[\s\S]*RTCWDT_RTC_RESET/);
    expect(text).toMatch(/invalid header: 0xffffffff\r\n/);
    expect(text.split('invalid header: 0xffffffff').length - 1).toBeGreaterThanOrEqual(2);
    expect(board.state).not.toBe('app');
  });

  it('ESP8266 with a corrupted image: the checksum complaint, repeated', { timeout: 20_000 }, async () => {
    const bad = testImage('esp8266').slice();
    bad[0x100] = (bad[0x100] ?? 0) ^ 0x01;
    board = createBoard({ chip: 'esp8266', timeScale: 0.05, flashImage: bad });
    const text = await resetAndRead(board, 74880, 3000, /rst cause:4[\s\S]*csum[\s\S]*rst cause:4/);
    // the running checksum after the last segment differs from the stored one
    const m = /chksum 0x([0-9a-f]{2})\r\ncsum 0x([0-9a-f]{2})/.exec(text);
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe(m![2]);
    expect(text).toContain('rst cause:4, boot mode:(3,6)');
    expect(board.state).not.toBe('app');
  });
});
