// The current language for the whole page: chosen from the browser, switchable, remembered.
// Elements use LocaleController so they re-render when it changes.
//
// Only the language shown is downloaded (src/i18n/index.ts loadLang). It loads as this module
// does; until it is here, <nyala-app> renders nothing (localeLoaded(), app.ts shouldUpdate), and
// every other element is drawn by the app. Switching fetches the other language then. The service
// worker does not precache the languages (a phone would download both); the page keeps the one it
// loaded in the worker's cache for assets instead, so the app opens offline in that language.
// (Not a top-level await: it made the bundler split the page into more, smaller chunks.)
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { LANGS, loadLang, pickLang, strings, type Lang, type Strings } from '../i18n/index.ts';

const STORAGE_KEY = 'nyala.lang';
/** The service worker's cache-first cache for /assets/ files (runtimeCaching in vite.config.ts). */
const ASSET_CACHE = 'nyala-installer';

let current: Lang = pickLang(readRemembered(), navigator.languages ?? [navigator.language]);
let loaded = false;
const listeners = new Set<() => void>();
document.documentElement.lang = current;

/** Settles once the first language is here (rejects only when no language can be fetched). */
export const localeReady: Promise<void> = startLang(current).then((l) => {
  current = l;
  loaded = true;
  document.documentElement.lang = l;
  for (const fn of listeners) fn();
});

/** Whether t() can be called yet. */
export function localeLoaded(): boolean {
  return loaded;
}

/** The chosen language, or (offline, never loaded here before) the other one that loads. */
async function startLang(wanted: Lang): Promise<Lang> {
  const order = [wanted, ...LANGS.filter((l) => l !== wanted)];
  for (const [i, l] of order.entries()) {
    try {
      keepForOffline(await loadLang(l));
      return l;
    } catch (err) {
      if (i === order.length - 1) throw err;
    }
  }
  return wanted;
}

/** Puts a language's chunk in the asset cache, where the service worker looks for it offline. */
function keepForOffline(url: string): void {
  if (!import.meta.env.PROD || typeof caches === 'undefined' || !('serviceWorker' in navigator)) return;
  void keep(url).catch(() => undefined);
}

async function keep(url: string): Promise<void> {
  const cache = await caches.open(ASSET_CACHE);
  if (await cache.match(url, { ignoreVary: true })) return;
  const response = await fetch(url);
  if (!response.ok) return;
  // Stored with its content type only: a module script is requested with an Origin header, which
  // a stored `Vary: Origin` (some servers send it) would never match. The file's name carries its
  // content hash, so nothing else in the headers matters.
  const type = response.headers.get('content-type') ?? 'text/javascript';
  await cache.put(url, new Response(await response.blob(), { headers: { 'content-type': type } }));
}

export function lang(): Lang {
  return current;
}

export function t(): Strings {
  return strings(current);
}

/**
 * Switches the page's language, fetching it first if this page has not loaded it. The choice is
 * remembered at once (a reload during the fetch keeps it); when the language cannot be fetched
 * (offline, never loaded here) nothing changes, the earlier choice is remembered again, and this
 * resolves false.
 */
export async function setLang(next: Lang): Promise<boolean> {
  if (next === current) return true;
  const before = current;
  remember(next);
  try {
    keepForOffline(await loadLang(next));
  } catch {
    if (current === before) remember(before);
    return false;
  }
  current = next;
  document.documentElement.lang = next;
  for (const l of listeners) l();
  return true;
}

function remember(l: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Storage can be off (private mode); the choice then lasts for this visit only.
  }
}

function readRemembered(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export class LocaleController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    listeners.add(this.onChange);
  }
  hostDisconnected(): void {
    listeners.delete(this.onChange);
  }
}
