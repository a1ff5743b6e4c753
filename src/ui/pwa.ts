// The service worker and the install prompt. The worker is registered through workbox-window so
// a new version waits until the person says "reload": a silent reload in the middle of a flash
// or an upload would leave the board half-written.
import type { Workbox } from 'workbox-window';

interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export interface PwaState {
  /** a new version is installed and waiting for the person's go-ahead */
  updateWaiting: boolean;
  /** the app shell is cached: the app opens offline */
  offlineReady: boolean;
  /** the browser offers installing the app */
  canInstall: boolean;
  /** something on the board must not be interrupted (a flash, an upload) */
  busy: boolean;
}

const state: PwaState = { updateWaiting: false, offlineReady: false, canInstall: false, busy: false };
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
  set({ busy });
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
  wb.addEventListener('waiting', () => set({ updateWaiting: true }));
  wb.addEventListener('activated', (e) => {
    if (!e.isUpdate) set({ offlineReady: true });
  });
  // The new worker took over because the person asked for it: now load the new version.
  wb.addEventListener('controlling', (e) => {
    if (e.isUpdate) window.location.reload();
  });
  void wb.register();
  // Phones keep a tab for days: look for a new version when the app comes back to the front.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void wb?.update();
  });
}

export function applyUpdate(): void {
  if (!wb || state.busy) return;
  wb.messageSkipWaiting();
}

export async function promptInstall(): Promise<void> {
  const ev = deferredInstall;
  if (!ev) return;
  deferredInstall = undefined;
  set({ canInstall: false });
  await ev.prompt();
}
