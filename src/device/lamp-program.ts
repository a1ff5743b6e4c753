// The lamp program as the board gets it: the three firmware files exactly as they are in the
// repo (bundled by Vite's ?raw import at build time) and config.json v1 made from the settings.
import wifiPy from '../../firmware/wifi.py?raw';
import mqttPy from '../../firmware/mqtt.py?raw';
import mainPy from '../../firmware/main.py?raw';
import type { LampSettings } from '../lamp/settings.ts';
import { configJsonBytes } from './config-json.ts';
import type { ProgramFile } from './provision.ts';

export { configJsonBytes };

/** The firmware files, in the order they are uploaded (main.py last: it imports the others). */
export const FIRMWARE_SOURCES: Readonly<Record<'wifi.py' | 'mqtt.py' | 'main.py', string>> = {
  'wifi.py': wifiPy,
  'mqtt.py': mqttPy,
  'main.py': mainPy,
};

/** Everything provision.ts uploads for these settings. */
export function lampProgram(settings: LampSettings): ProgramFile[] {
  const enc = new TextEncoder();
  return [
    ...Object.entries(FIRMWARE_SOURCES).map(([name, text]) => ({ name, bytes: enc.encode(text) })),
    { name: 'config.json', bytes: configJsonBytes(settings) },
  ];
}
