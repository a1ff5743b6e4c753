// One tab or window of the app writes to a board at a time: a Web Lock (navigator.locks) held
// while a board's flash or files are being written. Other tabs see it held and say so, and the
// "new version" prompt waits until nobody holds it (a reload mid-write would break the board).
// Web Locks are per origin, so every tab and installed window of this app shares the lock.

export const WRITE_LOCK = 'nyala-board-write';

function locks(): LockManager | undefined {
  return (navigator as Navigator & { locks?: LockManager }).locks;
}

/**
 * Take the lock if nobody has it: its release function, or null when another tab writes. (No
 * device code here: pwa.ts reads this module, and the remote's bundle stays free of esptool-js.)
 */
export function tryWriteLock(): Promise<(() => void) | null> {
  return new Promise((resolve, reject) => {
    const lm = locks();
    // Without Web Locks (very old browsers) there is no other tab to ask.
    if (!lm) return resolve(() => undefined);
    lm.request(WRITE_LOCK, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      // Held until the writer lets go of it.
      return new Promise<void>((release) => resolve(() => release()));
    }).catch((err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
  });
}

/** Whether some tab (this one included) is writing to a board right now. */
export async function someoneWriting(): Promise<boolean> {
  const lm = locks();
  if (!lm) return false;
  const snapshot = await lm.query();
  return (snapshot.held ?? []).some((l) => l.name === WRITE_LOCK);
}

/**
 * Resolves once no tab writes. A shared request is granted only when no exclusive holder is
 * left, and it is let go at once, so a writer starting later is not held up.
 */
export async function whenNobodyWriting(): Promise<void> {
  const lm = locks();
  if (!lm) return;
  await lm.request(WRITE_LOCK, { mode: 'shared' }, () => undefined);
}
