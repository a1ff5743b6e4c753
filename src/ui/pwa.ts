// The service worker and the install prompt. The worker is registered through workbox-window so
// a new version waits until the person says "reload": a silent reload in the middle of a flash
// or an upload would leave the board half-written. The prompt itself waits until no tab or window
// of the app is writing to a board (the Web Lock of board-lock.ts), and a tab that is writing
// when another tab accepts the update reloads only once its board is written.
import type { Workbox } from 'workbox-window';
import { someoneWriting, whenNobodyWriting } from './board-lock.ts';

interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export interface PwaState {
  /** a new version is installed and waiting for the person's go-ahead */
  updateWaiting: boolean;
  /** the prompt for it may show: nobody was writing to a board when last looked */
  updateOffered: boolean;
  /** the app shell is cached: the app opens offline */
  offlineReady: boolean;
  /** the browser offers installing the app */
  canInstall: boolean;
  /** something on the board must not be interrupted (a flash, an upload) */
  busy: boolean;
}

const state: PwaState = { updateWaiting: false, updateOffered: false, offlineReady: false, canInstall: false, busy: false };
const listeners = new Set<() => void>();
let wb: Workbox | undefined;
let deferredInstall: BeforeInstallPromptEvent | undefined;

export function pwaState(): Readonly<PwaState> {
  return state;
}

export function onPwaChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function set(patch: Partial<PwaState>): void {
  Object.assign(state, patch);
  for (const l of listeners) l();
}

/** Mark work on the board that a reload would break; the update prompt waits while it runs. */
export function setBusy(busy: boolean): void {
  if (busy === state.busy) return;
  set({ busy });
  if (busy && state.updateOffered) set({ updateOffered: false });
  if (!busy) offerUpdate();
}

let gate: Promise<void> | undefined;

/** Show the update prompt once no tab is writing (at once when nobody is). */
export function offerUpdate(): void {
  if (!state.updateWaiting || state.updateOffered || gate) return;
  gate = whenNobodyWriting()
    .catch(() => undefined)
    .then(() => {
      gate = undefined;
      // This tab may have started writing meanwhile: then setBusy(false) offers it later.
      if (state.updateWaiting && !state.busy) set({ updateOffered: true });
    });
}

export function startPwa(): void {
  window.addEventListener('beforeinstallprompt', (e) => {
    e.preventDefault();
    deferredInstall = e as BeforeInstallPromptEvent;
    set({ canInstall: true });
  });
  window.addEventListener('appinstalled', () => {
    deferredInstall = undefined;
    set({ canInstall: false });
  });

  // The dev server has no service worker; only the built app registers one.
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // Loaded after the first render: registering can wait, showing the remote cannot.
  void import('workbox-window').then(({ Workbox }) => register(new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })));
}

function register(workbox: Workbox): void {
  wb = workbox;
  wb.addEventListener('waiting', () => {
    set({ updateWaiting: true });
    offerUpdate();
  });
  wb.addEventListener('activated', (e) => {
    if (!e.isUpdate) set({ offlineReady: true });
  });
  // The new worker took over because the person asked for it: now load the new version.
  // Another tab may have asked for it while this one writes to a board: reload once done.
  wb.addEventListener('controlling', (e) => {
    if (!e.isUpdate) return;
    void whenNobodyWriting()
      .catch(() => undefined)
      .then(() => window.location.reload());
  });
  void wb.register();
  // Phones keep a tab for days: look for a new version when the app comes back to the front.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void wb?.update();
  });
}

export async function applyUpdate(): Promise<void> {
  if (!wb || state.busy) return;
  // A tab that began writing since the prompt showed: hide it again until that is over.
  if (await someoneWriting().catch(() => false)) {
    set({ updateOffered: false });
    offerUpdate();
    return;
  }
  wb.messageSkipWaiting();
}

export async function promptInstall(): Promise<void> {
  const ev = deferredInstall;
  if (!ev) return;
  deferredInstall = undefined;
  set({ canInstall: false });
  await ev.prompt();
}
