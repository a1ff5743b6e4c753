// The lamps of this page and their connections, kept for the page's whole life so that moving
// between views neither drops a connection nor forgets a secret the person chose not to store.
// This is where the browser's storage and its online/visibility signals are handed to lamp/.
import type { LampRemote, WakeSignals } from '../lamp/remote.ts';
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

const LAST_SEEN_KEY = 'nyala.lastSeen.v1';

class RemoteSession {
  private readonly storage = browserStorage();
  private readonly store = new LampStore(this.storage);
  /** when this device last heard each lamp (by key), kept across visits */
  private readonly seen: Record<string, number> = this.readSeen();
  private readonly remotes = new Map<string, LampRemote>();
  private readonly listeners = new Set<() => void>();
  lamps: LampSettings[] = this.store.load();

  /** Starts the connections once; later calls just return. */
  ensureStarted(): void {
    for (const lamp of this.lamps) if (!this.remotes.has(lamp.key)) void this.startRemote(lamp);
  }

  /** When this device last heard the lamp itself (its status or state), or undefined if never. */
  lastSeen(key: string): number | undefined {
    return this.seen[key];
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
    await this.startRemote(lamp);
    this.changed();
  }

  async remove(key: string): Promise<void> {
    this.lamps = this.lamps.filter((l) => l.key !== key);
    this.store.save(this.lamps);
    await this.remotes.get(key)?.stop();
    this.remotes.delete(key);
    delete this.seen[key];
    this.writeSeen();
    this.changed();
  }

  /** MQTT.js comes with the first lamp: a page with none (the remote's first visit) never loads it. */
  private async startRemote(lamp: LampSettings): Promise<void> {
    const { LampRemote } = await import('../lamp/remote.ts');
    // Removed or replaced while the code loaded: nothing to start.
    if (this.remotes.has(lamp.key) || !this.lamps.includes(lamp)) return;
    const remote = new LampRemote({ settings: lamp, pageIsSecure: location.protocol === 'https:', wakeSignals });
    remote.subscribe((event) => {
      // Seen: the lamp says it is online, or a message of its own (not an old retained one) arrives.
      // A signed lamp's forged or replayed messages are logged as ignored, not received.
      const heard =
        (event.type === 'presence' && event.presence === 'online') ||
        (event.type === 'log' && event.entry.kind === 'received' && !event.entry.retained);
      if (heard) this.markSeen(lamp.key);
      this.changed();
    });
    this.remotes.set(lamp.key, remote);
    remote.start();
    this.changed();
  }

  private markSeen(key: string): void {
    const now = Date.now();
    const before = this.seen[key] ?? 0;
    this.seen[key] = now;
    // Written at most once a minute per lamp: a busy lamp need not write storage each message.
    if (now - before > 60_000) this.writeSeen();
  }

  private readSeen(): Record<string, number> {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(LAST_SEEN_KEY) ?? '{}');
      const out: Record<string, number> = {};
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
      }
      return out;
    } catch {
      return {};
    }
  }

  private writeSeen(): void {
    try {
      this.storage.setItem(LAST_SEEN_KEY, JSON.stringify(this.seen));
    } catch {
      // Storage full or off: last-seen is a courtesy, not worth failing for.
    }
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export const session = new RemoteSession();
