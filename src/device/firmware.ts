// The firmware catalog as the build ships it (public/firmware/manifest.json, written by
// `npm run firmware:fetch`), and fetching an image with its sha256 checked before anything is
// erased. The expected hash is the one pinned in firmware-images.lock.json, which is bundled into
// the app's code, so a host that swaps both an image and the manifest beside it is still caught;
// where the lock pins nothing yet, the build's manifest is what there is (it still catches a
// truncated download or a damaged cache).
import { DeviceError, describeError } from './device-error.ts';
import type { ChipFamily } from './chips.ts';
import type { FirmwareManifest } from './firmware-catalog.ts';
import { sha256Hex } from './sha256.ts';
import lockFile from '../../firmware-images.lock.json';

export type CatalogImage = FirmwareManifest['images'][number];

/** One image's pin: what `npm run firmware:fetch -- --update-lock` recorded. */
export interface Pin {
  sha256: string;
  size: number;
}
/** firmware-images.lock.json: pins by image file name. */
export interface FirmwareLock {
  images: Record<string, Pin>;
}

/** The lock as this build was made with it. */
export const PINNED: FirmwareLock = { images: (lockFile as Partial<FirmwareLock>).images ?? {} };

/** What an image must be: its pin where the lock has one, else what the build's manifest says. */
export function expectedImage(image: CatalogImage, lock: FirmwareLock = PINNED): Pin & { pinned: boolean } {
  const pin = lock.images[image.file];
  return pin ? { sha256: pin.sha256, size: pin.size, pinned: true } : { sha256: image.sha256, size: image.size, pinned: false };
}

export type FirmwareErrorCode = 'no-catalog' | 'download-failed' | 'corrupt-download';

export class FirmwareError extends DeviceError<FirmwareErrorCode> {
  constructor(code: FirmwareErrorCode, detail = '') {
    super('FirmwareError', code, detail);
  }
}

/** The manifest, or an empty catalog when this build has no images (then only own files work); FirmwareError('no-catalog') when it could not be read. */
export async function loadCatalog(baseUrl: string, fetchFn: typeof fetch = fetch): Promise<CatalogImage[]> {
  let res: Response;
  try {
    res = await fetchFn(new URL('firmware/manifest.json', baseUrl));
  } catch (err) {
    // Offline without the cache, or the host unreachable: say so, the view offers own files.
    throw new FirmwareError('no-catalog', describeError(err));
  }
  // A build without images has no manifest: an empty catalog, not an error.
  if (res.status === 404) return [];
  if (!res.ok) throw new FirmwareError('no-catalog', `HTTP ${res.status}`);
  try {
    const manifest = (await res.json()) as FirmwareManifest;
    return Array.isArray(manifest.images) ? manifest.images : [];
  } catch (err) {
    throw new FirmwareError('no-catalog', describeError(err));
  }
}

/** The images that suit a board: its chip, and built for no more flash than it has; best first. */
export function imagesFor(catalog: readonly CatalogImage[], chip: ChipFamily, flashSize: number): CatalogImage[] {
  return catalog
    .filter((i) => i.chip === chip && i.minFlash <= flashSize)
    .sort((a, b) => b.minFlash - a.minFlash);
}

/**
 * Download an image from the build and check it is exactly the pinned one (or, with no pin, the
 * one the manifest names). Throws before a byte is returned, so nothing is erased for it.
 */
export async function fetchCatalogImage(baseUrl: string, image: CatalogImage, fetchFn: typeof fetch = fetch, lock: FirmwareLock = PINNED): Promise<Uint8Array> {
  const expected = expectedImage(image, lock);
  // A manifest that disagrees with the pin is refused without downloading anything.
  if (expected.pinned && (image.sha256 !== expected.sha256 || image.size !== expected.size)) {
    throw new FirmwareError('corrupt-download', `${image.file}: the build's manifest says sha256 ${image.sha256.slice(0, 12)}…, the pinned one is ${expected.sha256.slice(0, 12)}…`);
  }
  let bytes: Uint8Array;
  try {
    const res = await fetchFn(new URL(`firmware/${image.file}`, baseUrl));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new FirmwareError('download-failed', String((err as Error).message ?? err));
  }
  const actual = await sha256Hex(bytes);
  if (bytes.length !== expected.size || actual !== expected.sha256) {
    const against = expected.pinned ? 'firmware-images.lock.json' : "the build's manifest";
    throw new FirmwareError('corrupt-download', `${image.file}: ${bytes.length} bytes, sha256 ${actual.slice(0, 12)}…, not the ${expected.size} bytes, sha256 ${expected.sha256.slice(0, 12)}… of ${against}`);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// What each chip family is, as the install routine needs it.

/**
 * How the chip's own USB reaches the computer, when it has one:
 * - `usb-serial-jtag`: a fixed USB-Serial-JTAG peripheral (ESP32-C3, ESP32-S3); esptool resets it
 *   through the peripheral's own signals, and the port goes away and comes back after a reset
 *   (Espressif, esptool docs "Boot Mode Selection" / ESP32-C3 TRM "USB Serial/JTAG Controller").
 * - `usb-otg-cdc`: the USB-OTG peripheral running a CDC-ACM stack (ESP32-S2, and ESP32-S3 boards
 *   wired that way): the ROM's download mode and the application's MicroPython are two different
 *   USB devices, so after the reset a port with another product id appears.
 * Boards with a USB-UART bridge (CP210x, CH340, FTDI) keep their port across resets.
 */
export type NativeUsb = 'usb-serial-jtag' | 'usb-otg-cdc';

export interface ChipFacts {
  /** where the ROM looks for the bootloader image (esptool's BOOTLOADER_FLASH_OFFSET) */
  bootOffset: number;
  /** the chip's own USB, if the chip has one */
  nativeUsb: readonly NativeUsb[];
}

/**
 * Boot offsets as esptool gives them (ESP8266 0x0, ESP32 and ESP32-S2 0x1000, ESP32-S3 and
 * ESP32-C3 0x0) and MicroPython's download pages repeat (`write_flash 0x1000` for ESP32_GENERIC
 * and ESP32_GENERIC_S2, `0` for ESP32_GENERIC_S3 and ESP32_GENERIC_C3); image.ts's BOOT_OFFSET
 * holds the same numbers for the checks.
 */
export const CHIP_FACTS: Readonly<Record<ChipFamily, ChipFacts>> = {
  esp8266: { bootOffset: 0x0, nativeUsb: [] },
  esp32: { bootOffset: 0x1000, nativeUsb: [] },
  esp32s2: { bootOffset: 0x1000, nativeUsb: ['usb-otg-cdc'] },
  esp32s3: { bootOffset: 0x0, nativeUsb: ['usb-serial-jtag', 'usb-otg-cdc'] },
  esp32c3: { bootOffset: 0x0, nativeUsb: ['usb-serial-jtag'] },
};

/** Espressif's USB vendor id: a port with it is the chip's own USB, not a bridge (usb.ids). */
export const ESPRESSIF_USB_VID = 0x303a;
/** The USB-Serial-JTAG peripheral's product id (ESP32-C3, -S3, -C6, -H2). */
export const USB_SERIAL_JTAG_PID = 0x1001;

/** Whether this port is the chip's own USB, which vanishes with a reset and comes back new. */
export function needsPortAgainAfterReset(info: { usbVendorId?: number }): boolean {
  return info.usbVendorId === ESPRESSIF_USB_VID;
}

/** Which native USB a port is, from its USB ids (null for a bridge). */
export function nativeUsbOf(info: { usbVendorId?: number; usbProductId?: number }): NativeUsb | null {
  if (info.usbVendorId !== ESPRESSIF_USB_VID) return null;
  return info.usbProductId === USB_SERIAL_JTAG_PID ? 'usb-serial-jtag' : 'usb-otg-cdc';
}

/**
 * The chip family of a board running MicroPython. sys.platform is "esp32" on every ESP32 family
 * member, so the variant comes from os.uname().machine, which MicroPython builds from the board's
 * MICROPY_HW_MCU_NAME: "ESP32C3", "ESP32S3", "ESP32S2" (e.g. "ESP32C3 module with ESP32C3").
 */
export function chipFromMicroPython(platform: string, machine: string): ChipFamily {
  if (platform === 'esp8266') return 'esp8266';
  const m = machine.toUpperCase().replace(/-/g, '');
  if (m.includes('ESP32C3')) return 'esp32c3';
  if (m.includes('ESP32S3')) return 'esp32s3';
  if (m.includes('ESP32S2')) return 'esp32s2';
  return 'esp32';
}
