// The lamps of this page and their connections, kept for the page's whole life so that moving
// between views neither drops a connection nor forgets a secret the person chose not to store.
// This is where the browser's storage and its online/visibility signals are handed to lamp/.
import { LampRemote, type WakeSignals } from '../lamp/remote.ts';
import { LampStore, type KeyValueStorage } from '../lamp/settings-store.ts';
import type { LampSettings } from '../lamp/settings.ts';

const wakeSignals: WakeSignals = (wake) => {
  const online = () => wake('online');
  const visible = () => {
    if (document.visibilityState === 'visible') wake('visible');
  };
  window.addEventListener('online', online);
  document.addEventListener('visibilitychange', visible);
  return () => {
    window.removeEventListener('online', online);
    document.removeEventListener('visibilitychange', visible);
  };
};

/** localStorage, or a stand-in for this visit when storage is off (private mode, blocked). */
function browserStorage(): KeyValueStorage {
  try {
    const probe = '__nyala_probe__';
    localStorage.setItem(probe, probe);
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    const memory = new Map<string, string>();
    return {
      getItem: (k) => memory.get(k) ?? null,
      setItem: (k, v) => void memory.set(k, v),
      removeItem: (k) => void memory.delete(k),
    };
  }
}

class RemoteSession {
  private readonly store = new LampStore(browserStorage());
  private readonly remotes = new Map<string, LampRemote>();
  private readonly listeners = new Set<() => void>();
  lamps: LampSettings[] = this.store.load();

  /** Starts the connections once; later calls just return. */
  ensureStarted(): void {
    for (const lamp of this.lamps) if (!this.remotes.has(lamp.key)) this.startRemote(lamp);
  }

  remote(key: string): LampRemote | undefined {
    return this.remotes.get(key);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a new lamp or replaces one with the same key, and reconnects it with its new settings. */
  async put(lamp: LampSettings): Promise<void> {
    const index = this.lamps.findIndex((l) => l.key === lamp.key);
    this.lamps = index >= 0 ? this.lamps.map((l, i) => (i === index ? lamp : l)) : [...this.lamps, lamp];
    this.store.save(this.lamps);
    await this.remotes.get(lamp.key)?.stop();
    this.remotes.delete(lamp.key);
    this.startRemote(lamp);
    this.changed();
  }

  async remove(key: string): Promise<void> {
    this.lamps = this.lamps.filter((l) => l.key !== key);
    this.store.save(this.lamps);
    await this.remotes.get(key)?.stop();
    this.remotes.delete(key);
    this.changed();
  }

  private startRemote(lamp: LampSettings): void {
    const remote = new LampRemote({ settings: lamp, pageIsSecure: location.protocol === 'https:', wakeSignals });
    remote.subscribe(() => this.changed());
    this.remotes.set(lamp.key, remote);
    remote.start();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export const session = new RemoteSession();
