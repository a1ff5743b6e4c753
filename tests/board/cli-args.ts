// The command line of `npm run board` (tests/board/cli.ts), parsed apart from running it so the
// rules are testable without a process.

import { parseArgs } from 'node:util';
import type { AccessPoint, ChipName } from './app.ts';

export const USAGE = `usage: npm run board -- --rfc2217 PORT [options]
  --rfc2217 PORT        serve the board's serial port over RFC 2217 on 127.0.0.1:PORT (0 = any free port)
  --chip esp8266|esp32|esp32c3|esp32s3
                        default esp8266; an ESP32-C3 is on its own USB-Serial-JTAG (reset by
                        esptool's --before usb_reset sequence, a new port after a hard reset),
                        an ESP32-S3 on a USB-UART bridge unless --native-usb
  --native-usb          ESP32-S3: its own USB-Serial-JTAG instead of the bridge
  --flash-size SIZE     512KB … 16MB, default 4MB
  --flash-file FILE[@OFFSET]
                        flash contents at power-on, placed at OFFSET (default 0; e.g. @0x1000)
  --mac AA:BB:CC:DD:EE:FF
  --wifi SSID[:PASSWORD]
                        an access point the board's Wi-Fi can join (repeatable)
  --micropython         a valid image boots MicroPython (instead of an echo application); without
                        --flash-file the board starts with the generated MicroPython image flashed`;

export interface CliOptions {
  chip: ChipName;
  rfc2217: number;
  flashSize?: string;
  flashFile?: { path: string; offset: number };
  mac?: string;
  accessPoints: AccessPoint[];
  micropython: boolean;
  /** ESP32-S3 on its own USB-Serial-JTAG */
  nativeUsb: boolean;
}

export class CliError extends Error {}

export function parseCliArgs(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        chip: { type: 'string', default: 'esp8266' },
        rfc2217: { type: 'string' },
        'flash-size': { type: 'string' },
        'flash-file': { type: 'string' },
        mac: { type: 'string' },
        wifi: { type: 'string', multiple: true },
        micropython: { type: 'boolean', default: false },
        'native-usb': { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }

  const chip = values.chip;
  if (chip !== 'esp8266' && chip !== 'esp32' && chip !== 'esp32c3' && chip !== 'esp32s3') {
    throw new CliError(`--chip must be esp8266, esp32, esp32c3 or esp32s3, not ${chip}`);
  }
  if (values['native-usb'] && chip !== 'esp32s3') throw new CliError('--native-usb is for --chip esp32s3 (an ESP32-C3 is always on its own USB)');

  if (values.rfc2217 === undefined) throw new CliError('--rfc2217 PORT is required (0 picks a free port)');
  const rfc2217 = Number(values.rfc2217);
  if (!/^\d+$/.test(values.rfc2217) || rfc2217 > 65535) throw new CliError(`--rfc2217 must be a TCP port 0…65535, not ${values.rfc2217}`);

  const options: CliOptions = { chip, rfc2217, accessPoints: [], micropython: values.micropython, nativeUsb: values['native-usb'] };
  if (values['flash-size'] !== undefined) {
    if (!/^\d+\s*(KB|MB)$/i.test(values['flash-size'])) throw new CliError(`--flash-size must look like 4MB or 512KB, not ${values['flash-size']}`);
    options.flashSize = values['flash-size'];
  }
  if (values['flash-file'] !== undefined) options.flashFile = parseFlashFile(values['flash-file']);
  if (values.mac !== undefined) {
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(values.mac)) throw new CliError(`--mac must look like aa:bb:cc:dd:ee:ff, not ${values.mac}`);
    options.mac = values.mac;
  }
  for (const wifi of values.wifi ?? []) {
    // Split at the first colon: a password may hold colons more often than a network name does.
    const colon = wifi.indexOf(':');
    const ssid = colon < 0 ? wifi : wifi.slice(0, colon);
    const password = colon < 0 ? '' : wifi.slice(colon + 1);
    if (ssid === '') throw new CliError('--wifi needs an SSID');
    options.accessPoints.push({ ssid, password });
  }
  return options;
}

function parseFlashFile(value: string): { path: string; offset: number } {
  const at = value.lastIndexOf('@');
  if (at < 0) return { path: value, offset: 0 };
  const offsetText = value.slice(at + 1);
  const offset = Number(offsetText);
  if (offsetText === '' || !Number.isInteger(offset) || offset < 0) throw new CliError(`--flash-file offset must be a number, not ${offsetText}`);
  return { path: value.slice(0, at), offset };
}
