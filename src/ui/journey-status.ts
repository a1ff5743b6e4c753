// What the install journey is doing, for the parts of the app that are not the Install view (the
// navigation shows its progress, the update prompt waits for it). Kept free of the device code so
// the remote's bundle does not pull esptool-js in to read it.

export type JourneyPhase = 'none' | 'waiting' | 'flashing' | 'uploading' | 'starting';

export interface JourneyStatus {
  /** a journey runs (from Connect to online, an error or cancel) */
  running: boolean;
  /** the board's flash or files are being written right now */
  writing: boolean;
  /** what it does, for the navigation (app.ts words it) */
  phase: JourneyPhase;
  /** 0–100 while a progress is known */
  percent?: number;
}

let status: JourneyStatus = { running: false, writing: false, phase: 'none' };
const listeners = new Set<() => void>();

export function journeyStatus(): Readonly<JourneyStatus> {
  return status;
}

export function setJourneyStatus(next: JourneyStatus): void {
  status = next;
  for (const l of listeners) l();
}

export function onJourneyChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
