// ESP32-C3 and ESP32-S3 on the virtual board, driven by the real esptool-js: chip detection by
// GET_SECURITY_INFO, eFuse MAC, the stub, an image at 0x0, and the C3's USB-Serial-JTAG — the
// reset into the bootloader by the USB's own signals on the same port, and a new port after the
// hard reset.
import { afterEach, describe, expect, it } from 'vitest';
import { ESPLoader, Transport } from 'esptool-js';
import { createBoard, testImage, type Board, type BoardOptions } from './index.ts';
import { checkImage } from './image.ts';
import { micropythonApp } from './micropython/index.ts';
import { detectMicroPython } from '../../src/device/provision.ts';

const boards: Board[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((b) => b.close()));
});

function board(o: BoardOptions): Board {
  const b = createBoard({ timeScale: 0.05, ...o });
  boards.push(b);
  return b;
}

const silent = { clean() {}, writeLine() {}, write() {} };

describe('chip detection and flashing with esptool-js', () => {
  const cases = [
    { chip: 'esp32c3' as const, name: 'ESP32-C3', description: /^ESP32-C3 \(QFN32\) \(revision v0\.4\)$/, mac: '34:85:18:3f:9a:2c', ids: { usbVendorId: 0x303a, usbProductId: 0x1001 } },
    { chip: 'esp32s3' as const, name: 'ESP32-S3', description: /^ESP32-S3 \(QFN56\) \(revision v0\.2\)$/, mac: 'f4:12:fa:3f:9a:2c', ids: { usbVendorId: 0x10c4, usbProductId: 0xea60 } },
  ];
  for (const c of cases) {
    it(`${c.chip}: detected, its MAC read, the image written at 0x0 boots`, { timeout: 120_000 }, async () => {
      const b = board({ chip: c.chip });
      expect(b.port.getInfo()).toEqual(c.ids);
      const loader = new ESPLoader({ transport: new Transport(b.port), baudrate: 921600, terminal: silent });
      await loader.main();
      expect(loader.chip.CHIP_NAME).toBe(c.name);
      expect(await loader.chip.getChipDescription(loader)).toMatch(c.description);
      expect(await loader.chip.readMac(loader)).toBe(c.mac);
      expect(b.state).toBe('stub');
      const image = testImage(c.chip);
      await loader.writeFlash({ fileArray: [{ data: image, address: 0 }], compress: true, flashSize: 'keep', flashMode: 'keep', flashFreq: 'keep', eraseAll: false });
      expect(Buffer.from(b.flash.read(0, image.length)).equals(Buffer.from(image))).toBe(true);
      expect(checkImage(c.chip, b.flash.bytes, 0).ok).toBe(true);
      await loader.transport.disconnect();
    });
  }

  it('an ESP32 image at 0x0 of a C3 does not boot: the ROM names the chip id', { timeout: 30_000 }, async () => {
    const wrong = new Uint8Array(0x20000).fill(0xff);
    wrong.set(testImage('esp32').subarray(0, 0x10000));
    const b = board({ chip: 'esp32c3', flashImage: wrong });
    await b.waitForState('bricked', 10_000);
    expect(checkImage('esp32c3', b.flash.bytes, 0)).toMatchObject({ ok: false, reason: 'chip' });
  });
});

describe('ESP32-C3 USB-Serial-JTAG', () => {
  it('esptool-js resets it into download mode on the same port; a hard reset brings a new port with the same ids', { timeout: 60_000 }, async () => {
    const b = board({ chip: 'esp32c3', flashImage: testImage('esp32c3') });
    await b.waitForState('app', 10_000);
    const first = b.port;
    const loader = new ESPLoader({ transport: new Transport(first), baudrate: 115200, terminal: silent });
    await loader.main();
    expect(loader.chip.CHIP_NAME).toBe('ESP32-C3');
    // The USB-JTAG sequence went into the bootloader without the port going away.
    expect(b.port).toBe(first);
    expect(first.connected).toBe(true);
    const gone = new Promise<void>((resolve) => first.addEventListener('disconnect', () => resolve(), { once: true }));
    const next = b.nextPort(10_000);
    // esptool.py's hard reset: RTS with DTR low, then released.
    await first.setSignals({ dataTerminalReady: false, requestToSend: true });
    await first.setSignals({ dataTerminalReady: false, requestToSend: false });
    await gone;
    expect(first.connected).toBe(false);
    await loader.transport.disconnect().catch(() => undefined);
    const second = await next;
    expect(second).not.toBe(first);
    expect(second.getInfo()).toEqual(first.getInfo());
    expect(b.port).toBe(second);
    await b.waitForState('app', 10_000);
  });
});

describe('ESP32-S3 on its own USB-Serial-JTAG', () => {
  it('reports 303a:1001, is detected through it, and re-enumerates after the hard reset', { timeout: 60_000 }, async () => {
    const b = board({ chip: 'esp32s3', resetCircuit: 'usb-serial-jtag', flashImage: testImage('esp32s3') });
    expect(b.port.getInfo()).toEqual({ usbVendorId: 0x303a, usbProductId: 0x1001 });
    const first = b.port;
    const loader = new ESPLoader({ transport: new Transport(first), baudrate: 921600, terminal: silent });
    await loader.main();
    expect(loader.chip.CHIP_NAME).toBe('ESP32-S3');
    expect(b.port).toBe(first);
    const next = b.nextPort(10_000);
    await first.setSignals({ dataTerminalReady: false, requestToSend: false });
    await first.setSignals({ dataTerminalReady: false, requestToSend: true });
    await first.setSignals({ dataTerminalReady: false, requestToSend: false });
    const second = await next;
    expect(second).not.toBe(first);
    expect(first.connected).toBe(false);
    await loader.transport.disconnect().catch(() => undefined);
    await b.waitForState('app', 10_000);
  });
});

describe('MicroPython on them', () => {
  const cases = [
    { chip: 'esp32c3' as const, machine: 'ESP32C3 module with ESP32C3' },
    { chip: 'esp32s3' as const, machine: 'Generic ESP32S3 module with ESP32S3' },
  ];
  for (const c of cases) {
    it(`${c.chip}: the banner and os.uname() of MicroPython's generic board, sys.platform 'esp32'`, { timeout: 60_000 }, async () => {
      const b = board({ chip: c.chip, flashImage: testImage(c.chip), app: micropythonApp });
      await b.waitForState('app', 20_000);
      await b.port.open({ baudRate: 115200 });
      const reader = b.port.readable!.getReader();
      const writer = b.port.writable!.getWriter();
      // Ctrl-B: the friendly REPL prints its banner again.
      await writer.write(Uint8Array.of(0x02));
      let text = '';
      while (!text.includes('>>> ')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain(`MicroPython v1.27.0 on 2025-12-09; ${c.machine}\r\nType "help()" for more information.`);
      reader.releaseLock();
      writer.releaseLock();
      await b.port.close();
      const info = await detectMicroPython(b.port, { timeoutMs: 5000 });
      expect(info).toMatchObject({ platform: 'esp32', machine: c.machine });
    });
  }
});
