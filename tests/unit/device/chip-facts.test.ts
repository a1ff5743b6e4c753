// What the install routine and the lamp defaults know about each chip family: boot offsets as
// esptool and MicroPython's download pages give them, which ports are the chip's own USB, the
// family of a board from what MicroPython says about itself, and a lamp pin that the chip has.
import { describe, expect, it } from 'vitest';
import { CHIP_FACTS, chipFromMicroPython, nativeUsbOf, needsPortAgainAfterReset } from '../../../src/device/firmware.ts';
import { CATALOG } from '../../../src/device/firmware-catalog.ts';
import { BOOT_OFFSET } from '../../../src/device/image.ts';
import { PIN_RANGE, defaultLampPin, reservedPinReason, type Chip } from '../../../src/lamp/settings.ts';

const CHIPS: Chip[] = ['esp8266', 'esp32', 'esp32s2', 'esp32s3', 'esp32c3'];

describe('chip facts', () => {
  it('boot offsets: 0x0 for ESP8266, S3 and C3; 0x1000 for ESP32 and S2; the image checks and the catalog agree', () => {
    expect(Object.fromEntries(CHIPS.map((c) => [c, CHIP_FACTS[c].bootOffset]))).toEqual({
      esp8266: 0x0,
      esp32: 0x1000,
      esp32s2: 0x1000,
      esp32s3: 0x0,
      esp32c3: 0x0,
    });
    for (const c of CHIPS) expect(BOOT_OFFSET[c], c).toBe(CHIP_FACTS[c].bootOffset);
    for (const e of CATALOG) expect(e.offset, e.id).toBe(CHIP_FACTS[e.chip].bootOffset);
  });

  it('Espressif’s own USB is told from a bridge by its vendor id, and only it re-enumerates', () => {
    expect(nativeUsbOf({ usbVendorId: 0x303a, usbProductId: 0x1001 })).toBe('usb-serial-jtag');
    expect(nativeUsbOf({ usbVendorId: 0x303a, usbProductId: 0x4001 })).toBe('usb-otg-cdc');
    expect(nativeUsbOf({ usbVendorId: 0x10c4, usbProductId: 0xea60 })).toBeNull();
    expect(needsPortAgainAfterReset({ usbVendorId: 0x303a })).toBe(true);
    expect(needsPortAgainAfterReset({ usbVendorId: 0x1a86 })).toBe(false);
    expect(needsPortAgainAfterReset({})).toBe(false);
    expect(CHIP_FACTS.esp32c3.nativeUsb).toEqual(['usb-serial-jtag']);
    expect(CHIP_FACTS.esp8266.nativeUsb).toEqual([]);
  });

  it('the family of a board from sys.platform and os.uname().machine (every ESP32 says "esp32")', () => {
    expect(chipFromMicroPython('esp8266', 'ESP module with ESP8266')).toBe('esp8266');
    expect(chipFromMicroPython('esp32', 'Generic ESP32 module with ESP32')).toBe('esp32');
    expect(chipFromMicroPython('esp32', 'ESP32C3 module with ESP32C3')).toBe('esp32c3');
    expect(chipFromMicroPython('esp32', 'Generic ESP32S3 module with ESP32S3')).toBe('esp32s3');
    expect(chipFromMicroPython('esp32', 'ESP32-S2 module with ESP32-S2')).toBe('esp32s2');
  });

  it('each chip’s default lamp pin exists on it and is not reserved', () => {
    for (const c of CHIPS) {
      const { pin } = defaultLampPin(c);
      expect(pin, c).toBeGreaterThanOrEqual(PIN_RANGE[c].min);
      expect(pin, c).toBeLessThanOrEqual(PIN_RANGE[c].max);
      expect(reservedPinReason(c, pin), c).toBeNull();
    }
    expect(defaultLampPin('esp32c3')).toEqual({ pin: 8, activeLow: true });
    expect(defaultLampPin('esp32s3')).toEqual({ pin: 21, activeLow: true });
    expect(defaultLampPin('esp32s2')).toEqual({ pin: 15, activeLow: false });
  });

  it('the newer chips refuse their flash and serial/USB pins', () => {
    expect(reservedPinReason('esp32c3', 18)).toBe('uart');
    expect(reservedPinReason('esp32c3', 20)).toBe('uart');
    expect(reservedPinReason('esp32c3', 14)).toBe('flash');
    expect(reservedPinReason('esp32s3', 43)).toBe('uart');
    expect(reservedPinReason('esp32s3', 30)).toBe('flash');
    expect(reservedPinReason('esp32s2', 19)).toBe('uart');
    expect(reservedPinReason('esp32s3', 2)).toBeNull();
  });
});
