// Keeping lamps in the browser's storage (handed in by ui/). Secrets leave memory only when the
// person asked: the broker's credentials when `remember.brokerCredentials`, the Wi-Fi password
// when `remember.wifiPassword`. A signed lamp's key is always kept: the remote cannot switch the
// lamp without it. The same JSON shape is the export file (settings-file.ts), where the key is
// left out unless the person opts in.
import {
  PIN_RANGE,
  defaultLampPin,
  defaultSettings,
  detectBrokerPreset,
  type BrokerPresetId,
  type Chip,
  type LampAuth,
  type LampSettings,
} from './settings.ts';

/** The part of the Web Storage API we need; ui/ passes `localStorage`, tests a Map-backed one. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const EXPORT_FORMAT = 'nyala-lamps';
export const EXPORT_VERSION = 1;
export const STORAGE_KEY = 'nyala.lamps.v1';

/** A lamp as stored or exported: a signed lamp's key may have been left out of an export. */
export type StoredLamp = Omit<LampSettings, 'auth'> & { auth: LampAuth | { mode: 'signed' } };

export interface LampsFile {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  lamps: StoredLamp[];
}

export interface SecretChoices {
  brokerCredentials: boolean;
  wifiPassword: boolean;
}

/** A copy with the secrets blanked that `keep` does not allow (the signing key is not one of them). */
export function withoutSecrets(settings: LampSettings, keep: SecretChoices): LampSettings {
  return {
    ...settings,
    broker: keep.brokerCredentials ? { ...settings.broker } : { ...settings.broker, user: '', password: '' },
    wifi: keep.wifiPassword ? { ...settings.wifi } : { ...settings.wifi, password: '' },
    remember: { ...settings.remember },
    auth: { ...settings.auth },
  };
}

/** A copy without the signing key: `auth` says `signed` and nothing more. */
export function withoutKey(lamp: LampSettings): StoredLamp {
  return lamp.auth.mode === 'signed' ? { ...lamp, auth: { mode: 'signed' } } : lamp;
}

/** The lamps of this browser, in its storage. */
export class LampStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string = STORAGE_KEY,
  ) {}

  /** Lamps that cannot be read (an older or damaged entry) are left out rather than failing all. */
  load(): LampSettings[] {
    const text = this.storage.getItem(this.key);
    if (text === null) return [];
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return [];
    }
    if (!isRecord(data) || !Array.isArray(data.lamps)) return [];
    return data.lamps.map(readLamp).filter((l): l is LampSettings => typeof l !== 'string');
  }

  save(lamps: readonly LampSettings[]): void {
    const file: LampsFile = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      lamps: lamps.map((l) => withoutSecrets(l, l.remember)),
    };
    this.storage.setItem(this.key, JSON.stringify(file));
  }

  clear(): void {
    this.storage.removeItem(this.key);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading untrusted JSON into LampSettings: required parts must be there with the right types;
// parts a phone can live without (Wi-Fi, pin, chip) fall back to defaults.

type Reader = { path: string; value: unknown };

class ShapeError extends Error {
  constructor(readonly path: string) {
    super(path);
  }
}

function field(parent: Reader, name: string): Reader {
  const v = isRecord(parent.value) ? parent.value[name] : undefined;
  return { path: parent.path === '' ? name : `${parent.path}.${name}`, value: v };
}
function str(r: Reader, fallback?: string): string {
  if (typeof r.value === 'string') return r.value;
  if (r.value === undefined && fallback !== undefined) return fallback;
  throw new ShapeError(r.path);
}
function num(r: Reader, fallback?: number): number {
  if (typeof r.value === 'number' && Number.isFinite(r.value)) return r.value;
  if (r.value === undefined && fallback !== undefined) return fallback;
  throw new ShapeError(r.path);
}
function bool(r: Reader, fallback: boolean): boolean {
  if (typeof r.value === 'boolean') return r.value;
  if (r.value === undefined) return fallback;
  throw new ShapeError(r.path);
}

const CHIPS: readonly Chip[] = Object.keys(PIN_RANGE) as Chip[];
const PRESETS: readonly BrokerPresetId[] = ['hivemq', 'mosquitto', 'emqx', 'eclipse', 'custom'];

/** The lamp, or the path of the first field that is missing or of the wrong type. */
export function readLamp(raw: unknown): LampSettings | string {
  const root: Reader = { path: '', value: raw };
  try {
    if (!isRecord(raw)) throw new ShapeError('(lamp)');
    const chipText = str(field(root, 'chip'), 'esp8266');
    if (!CHIPS.includes(chipText as Chip)) throw new ShapeError('chip');
    const chip = chipText as Chip;
    const deviceId = str(field(root, 'deviceId'));
    const base = defaultSettings({ chip, deviceId });
    const broker = field(root, 'broker');
    const host = str(field(broker, 'host'), '');
    const port = num(field(broker, 'port'), 1883);
    const ws = str(field(broker, 'ws'));
    const presetText = str(field(broker, 'preset'), detectBrokerPreset(host, port, ws));
    if (!PRESETS.includes(presetText as BrokerPresetId)) throw new ShapeError('broker.preset');
    const topics = field(root, 'topics');
    const replies = field(root, 'replies');
    const lamp = field(root, 'lamp');
    const wifi = field(root, 'wifi');
    const remember = field(root, 'remember');
    const auth = readAuth(field(root, 'auth'));
    if (auth === 'missing-key') throw new ShapeError('auth.key');
    const pinDefault = defaultLampPin(chip);
    return {
      key: str(field(root, 'key'), base.key),
      deviceId,
      name: str(field(root, 'name')),
      chip,
      broker: {
        preset: presetText as BrokerPresetId,
        host,
        port,
        ws,
        user: str(field(broker, 'user'), ''),
        password: str(field(broker, 'password'), ''),
        keepalive: num(field(broker, 'keepalive'), base.broker.keepalive),
      },
      topics: {
        command: str(field(topics, 'command')),
        reply: str(field(topics, 'reply')),
        status: str(field(topics, 'status')),
        state: str(field(topics, 'state')),
      },
      replies: { on: str(field(replies, 'on')), off: str(field(replies, 'off')) },
      lamp: { pin: num(field(lamp, 'pin'), pinDefault.pin), activeLow: bool(field(lamp, 'activeLow'), pinDefault.activeLow) },
      wifi: { ssid: str(field(wifi, 'ssid'), ''), password: str(field(wifi, 'password'), '') },
      remember: {
        brokerCredentials: bool(field(remember, 'brokerCredentials'), false),
        wifiPassword: bool(field(remember, 'wifiPassword'), false),
      },
      auth,
    };
  } catch (err) {
    if (err instanceof ShapeError) return err.path;
    throw err;
  }
}

/**
 * The lamp's protocol. Lamps stored before signing existed have no `auth`: they are plain, as
 * their boards run the tutorial protocol. A signed lamp whose key was left out of an export is
 * `missing-key` (the importer says so by name).
 */
function readAuth(r: Reader): LampAuth | 'missing-key' {
  if (r.value === undefined) return { mode: 'plain' };
  const mode = str(field(r, 'mode'));
  if (mode === 'plain') return { mode: 'plain' };
  if (mode !== 'signed') throw new ShapeError(`${r.path}.mode`);
  const key = field(r, 'key');
  if (key.value === undefined) return 'missing-key';
  return { mode: 'signed', key: str(key) };
}

/** Whether a raw lamp is signed with its key left out (an export made without keys). */
export function lacksKey(raw: unknown): boolean {
  try {
    return readAuth(field({ path: '', value: raw }, 'auth')) === 'missing-key';
  } catch {
    return false; // a damaged auth is readLamp's to report
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
