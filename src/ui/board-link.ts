// The board the person connected, shared by the views (install, upload, console): one port for
// the whole page, as docs/contracts.md says.
import { BoardPort, choosePort, type SerialChooser } from '../device/port.ts';

let current: BoardPort | undefined;
const listeners = new Set<() => void>();

export function connectedPort(): BoardPort | undefined {
  return current;
}

export function onPortChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function set(next: BoardPort | undefined): void {
  current?.dispose();
  current = next;
  for (const l of listeners) l();
}

/** The browser's serial API, where it has one (Web Serial; WebUSB polyfills plug in here too). */
export function serialApi(): SerialChooser | undefined {
  return (navigator as Navigator & { serial?: SerialChooser }).serial;
}

export async function pickPort(showAll: boolean): Promise<BoardPort> {
  const serial = serialApi();
  if (!serial) throw new Error('unsupported');
  const port = await choosePort(serial, showAll);
  set(port);
  port.raw.addEventListener?.('disconnect', () => {
    if (current === port) set(undefined);
  });
  return port;
}

export function forgetPort(): void {
  set(undefined);
}
