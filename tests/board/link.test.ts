// The cable: pacing, backpressure, baud mismatch, and DTR/RTS through the reset circuits.
import { ClassicReset, Transport, UsbJtagSerialReset } from 'esptool-js';
import { describe, expect, it } from 'vitest';
import { boardPerTest, loaderFor, readPort, within } from './esptool-harness.ts';
import { testImage, type Board } from './index.ts';
import { Link } from './link.ts';
import { resample } from './uart.ts';

const latin1 = (b: Uint8Array): string => new TextDecoder('latin1').decode(b);

let board: Board | undefined;
const newBoard = boardPerTest();

describe('UART sampling', () => {
  it('same baud passes bytes through; 74880 read at 115200 is noise', () => {
    const text = new TextEncoder().encode(' ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n');
    expect(resample(text, 115200, 115200)).toEqual(text);
    const noise = resample(text, 74880, 115200);
    expect(noise.length).toBeGreaterThan(0);
    expect(latin1(noise)).not.toContain('ets Jan');
  });
});

describe('pacing', () => {
  it('a byte takes 10 bit-times × timeScale', async () => {
    const link = new Link({ timeScale: 0.1, maxBaud: 2_000_000 });
    link.hostBaud = 115200;
    link.boardBaud = 115200;
    let got = 0;
    const all = new Promise<number>((resolve) =>
      link.onBoardReceive((b) => {
        got += b.length;
        if (got === 11520) resolve(performance.now());
      }),
    );
    const t0 = performance.now();
    await link.hostSend(new Uint8Array(11520).fill(0x55));
    const t1 = await within(5000, all);
    // 11520 bytes × 10 bits ÷ 115200 baud = 1 s, × 0.1
    expect(t1 - t0).toBeGreaterThanOrEqual(95);
    expect(t1 - t0).toBeLessThan(400);
  });

  it('a full transmit buffer makes the sender wait', async () => {
    const link = new Link({ timeScale: 1, maxBaud: 2_000_000, boardTxCapacity: 128 });
    link.hostOpen = true;
    link.onHostReceive(() => {});
    const t0 = performance.now();
    await link.boardSend(new Uint8Array(128 + 1152));
    // 1152 bytes must leave before the last 128 fit: 1152 × 10 ÷ 115200 = 100 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });
});

describe('baud mismatch', () => {
  it("the ESP8266's 74880-baud boot text is noise at 115200 and clear at 74880", { timeout: 20_000 }, async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.05, flashImage: testImage('esp8266') });
    const b = board;
    const at = async (baud: number, until?: RegExp): Promise<string> => {
      // Let the power-on boot finish first, so what we read is the reset we cause.
      await b.waitForState('app', 5000);
      const reading = readPort(b, baud, 1500, until);
      await new Promise((r) => setTimeout(r, 20));
      b.reset();
      return latin1(await reading);
    };
    const clear = await at(74880, /csum 0x[0-9a-f]{2}/);
    expect(clear).toContain(' ets Jan  8 2013,rst cause:2, boot mode:(3,6)');
    const noise = await at(115200);
    expect(noise.length).toBeGreaterThan(20);
    expect(noise).not.toContain('ets Jan');
    expect(noise).not.toContain('boot mode');
  });

  it('esptool-js fails with its own error when every byte garbles, within bounded time', { timeout: 60_000 }, async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05, maxBaud: 115200 });
    const { loader, transport } = loaderFor(board, 230400, { romBaudrate: 230400 });
    await expect(within(45_000, loader.main())).rejects.toThrow('Failed to connect with the device');
    await transport.disconnect().catch(() => {});
  });

  it('after CHANGE_BAUDRATE beyond maxBaud the board stops answering and esptool-js falls back', { timeout: 60_000 }, async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05, maxBaud: 460800 });
    const { loader, transport, log } = loaderFor(board, 921600);
    await within(45_000, loader.main());
    // esptool-js words it "The board reset while the serial port was reopened" when it had to reopen the port
    expect(log.text).toMatch(/Continuing at 115200 baud/);
    expect(log.text).toContain('Stub running...');
    expect(board.baud).toBe(115200);
    await transport.disconnect();
  });
});

describe('DTR/RTS', () => {
  const signalsOf = (b: Board): Transport => new Transport(b.port);

  it('classic reset enters download mode; a plain EN pulse boots the app', { timeout: 20_000 }, async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05, flashImage: new Uint8Array(0x1000).fill(0xff) });
    const b = board;
    b.flash.preload(0x1000, testImage('esp32'));
    b.reset();
    await b.waitForState('app', 5000);
    const t = signalsOf(b);
    await t.connect(115200);
    await new ClassicReset(t, 50).reset();
    expect(b.state).toBe('download');
    await t.setSignals(false, true);
    await t.setSignals(false, false);
    await b.waitForState('app', 5000);
    await t.disconnect();
  });

  it('the USB-JTAG-serial sequence enters download mode on a USB-Serial/JTAG board, not through two transistors', { timeout: 20_000 }, async () => {
    board = newBoard({ chip: 'esp32', timeScale: 0.05, resetCircuit: 'usb-serial-jtag' });
    expect(board.port.getInfo()).toEqual({ usbVendorId: 0x303a, usbProductId: 0x1001 });
    let t = signalsOf(board);
    await t.connect(115200);
    await new UsbJtagSerialReset(t).reset();
    await board.waitForState('download', 5000);
    await t.disconnect();
    await board.close();

    board = newBoard({ chip: 'esp32', timeScale: 0.05 });
    t = signalsOf(board);
    await t.connect(115200);
    await new UsbJtagSerialReset(t).reset();
    await board.waitForState('bricked', 5000);
    await t.disconnect();
  });

  it('with autoReset off DTR/RTS do nothing; only the buttons reset', { timeout: 20_000 }, async () => {
    board = newBoard({ chip: 'esp8266', timeScale: 0.05, autoReset: false, flashImage: testImage('esp8266') });
    const b = board;
    await b.waitForState('app', 5000);
    const t = signalsOf(b);
    await t.connect(115200);
    await new ClassicReset(t, 50).reset();
    expect(b.state).toBe('app');
    b.reset({ download: true });
    await b.waitForState('download', 5000);
    await t.disconnect();
  });
});
