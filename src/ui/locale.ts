// The current language for the whole page: chosen from the browser, switchable, remembered.
// Elements use LocaleController so they re-render when it changes.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { pickLang, strings, type Lang, type Strings } from '../i18n/index.ts';

const STORAGE_KEY = 'nyala.lang';

let current: Lang = pickLang(readRemembered(), navigator.languages ?? [navigator.language]);
const listeners = new Set<() => void>();
document.documentElement.lang = current;

export function lang(): Lang {
  return current;
}

export function t(): Strings {
  return strings(current);
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Storage can be off (private mode); the choice then lasts for this visit only.
  }
  for (const l of listeners) l();
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
