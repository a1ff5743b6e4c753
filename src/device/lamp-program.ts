// The lamp program as the board gets it: the three firmware files exactly as they are in the
// repo (bundled by Vite's ?raw import at build time) and config.json v1 made from the settings.
import wifiPy from '../../firmware/wifi.py?raw';
import mqttPy from '../../firmware/mqtt.py?raw';
import mainPy from '../../firmware/main.py?raw';
import { toConfigJson, type LampSettings } from '../lamp/settings.ts';
import type { ProgramFile } from './provision.ts';

/** The firmware files, in the order they are uploaded (main.py last: it imports the others). */
export const FIRMWARE_SOURCES: Readonly<Record<'wifi.py' | 'mqtt.py' | 'main.py', string>> = {
  'wifi.py': wifiPy,
  'mqtt.py': mqttPy,
  'main.py': mainPy,
};

/**
 * config.json v1 (docs/contracts.md), indented so a learner can read it with `cat` at the REPL.
 * The same settings always give the same bytes, so an unchanged config is skipped.
 */
export function configJsonBytes(settings: LampSettings): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(toConfigJson(settings), null, 2) + '\n');
}

/** Everything provision.ts uploads for these settings. */
export function lampProgram(settings: LampSettings): ProgramFile[] {
  const enc = new TextEncoder();
  return [
    ...Object.entries(FIRMWARE_SOURCES).map(([name, text]) => ({ name, bytes: enc.encode(text) })),
    { name: 'config.json', bytes: configJsonBytes(settings) },
  ];
}
