// The pairing link of docs/contracts.md ("Routes and the pairing link", "Pairing link version 2"):
// `#/pair?v=2&…` carries a lamp from the laptop that set it up to a phone, usually as a QR code.
// It carries the name, the broker, the topics and the replies; a signed lamp's key (whoever scans
// the code can switch the lamp, and the UI says so); the broker's user and password only when the
// person opts in; the Wi-Fi password never (the phone does not need it, and a QR code is easy to
// photograph). All of it sits in the URL fragment, which browsers never send to a server.
import {
  defaultSettings,
  detectBrokerPreset,
  isLampKeyHex,
  newDeviceId,
  validateSettings,
  type LampSettings,
  type SettingsIssue,
} from './settings.ts';

export const PAIRING_VERSION = '2';
/** Links made before signing: read as plain lamps, as their boards run the tutorial protocol. */
const PLAIN_ONLY_VERSION = '1';
export const PAIRING_ROUTE = '/pair';

export interface PairingLinkOptions {
  /** put the broker's user and password in the link (the person ticked it) */
  includeCredentials: boolean;
}

/** The query part, `v=2&name=…`; URLSearchParams escapes `&#/?`, spaces and unicode. */
export function pairingQuery(settings: LampSettings, options: PairingLinkOptions): string {
  const q = new URLSearchParams();
  q.set('v', PAIRING_VERSION);
  q.set('name', settings.name);
  q.set('ws', settings.broker.ws);
  q.set('host', settings.broker.host);
  q.set('port', String(settings.broker.port));
  q.set('command', settings.topics.command);
  q.set('reply', settings.topics.reply);
  q.set('status', settings.topics.status);
  q.set('state', settings.topics.state);
  q.set('on', settings.replies.on);
  q.set('off', settings.replies.off);
  if (settings.auth.mode === 'signed') q.set('key', settings.auth.key);
  if (options.includeCredentials && settings.broker.user !== '') {
    q.set('user', settings.broker.user);
    q.set('password', settings.broker.password);
  }
  return q.toString();
}

/** `#/pair?v=2&…`, to append to the app's address. */
export function pairingHash(settings: LampSettings, options: PairingLinkOptions): string {
  return `#${PAIRING_ROUTE}?${pairingQuery(settings, options)}`;
}

/** The whole link for a QR code: the app's address (any hash dropped) plus the pairing hash. */
export function pairingUrl(appUrl: string, settings: LampSettings, options: PairingLinkOptions): string {
  const hashAt = appUrl.indexOf('#');
  const base = hashAt >= 0 ? appUrl.slice(0, hashAt) : appUrl;
  return base + pairingHash(settings, options);
}

export type PairingIssue =
  | { code: 'not-a-pairing-link' }
  | { code: 'unsupported-version'; version: string | null }
  | { code: 'missing'; param: string }
  | { code: 'bad-number'; param: string }
  /** `key=` is there but is not 32 lowercase hex digits (a link cut short or mistyped) */
  | { code: 'bad-key' }
  | { code: 'invalid'; issue: SettingsIssue };

export type PairingResult =
  | { ok: true; settings: LampSettings; carriedCredentials: boolean }
  | { ok: false; issues: PairingIssue[] };

const REQUIRED = ['name', 'ws', 'command', 'reply', 'status', 'state', 'on', 'off'] as const;

/**
 * Reads a pairing link: a whole URL, the `#/pair?…` hash, or `/pair?…`. The lamp it describes is
 * checked as the remote will use it; wildcard or empty topics are refused with the reason.
 */
export function parsePairingLink(input: string): PairingResult {
  const query = pairingQueryOf(input.trim());
  if (query === null) return { ok: false, issues: [{ code: 'not-a-pairing-link' }] };
  return parsePairingParams(new URLSearchParams(query));
}

/** The same, for the query the router has already split off `#/pair?…`. */
export function parsePairingParams(q: URLSearchParams): PairingResult {
  const version = q.get('v');
  if (version !== PAIRING_VERSION && version !== PLAIN_ONLY_VERSION) return { ok: false, issues: [{ code: 'unsupported-version', version }] };

  const issues: PairingIssue[] = [];
  for (const param of REQUIRED) if (!q.has(param)) issues.push({ code: 'missing', param });
  if (issues.length > 0) return { ok: false, issues };

  const get = (param: string): string => q.get(param) ?? '';
  const topics = { command: get('command'), reply: get('reply'), status: get('status'), state: get('state') };
  const deviceId = deviceIdFromTopics(topics.command) ?? newDeviceId();
  const settings = defaultSettings({ deviceId, name: get('name') });

  let port = settings.broker.port;
  if (q.has('port')) {
    port = Number(get('port'));
    if (!Number.isInteger(port) || port < 1 || port > 65535) issues.push({ code: 'bad-number', param: 'port' });
  }
  const carriedCredentials = q.has('user');
  const host = q.get('host') ?? '';
  settings.broker = {
    ...settings.broker,
    preset: detectBrokerPreset(host, port, get('ws')),
    host,
    port,
    ws: get('ws'),
    user: carriedCredentials ? get('user') : '',
    password: carriedCredentials ? get('password') : '',
  };
  settings.topics = topics;
  settings.replies = { on: get('on'), off: get('off') };
  // Credentials the sender chose to share are kept unless the person on the phone unticks it.
  settings.remember = { brokerCredentials: carriedCredentials, wifiPassword: false };
  // A version 2 link with a key is a signed lamp; without one (or a version 1 link), plain.
  const key = version === PAIRING_VERSION ? q.get('key') : null;
  if (key === null) settings.auth = { mode: 'plain' };
  else if (isLampKeyHex(key)) settings.auth = { mode: 'signed', key };
  else issues.push({ code: 'bad-key' });

  for (const issue of validateSettings(settings, { purpose: 'remote' })) issues.push({ code: 'invalid', issue });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, settings, carriedCredentials };
}

/**
 * The lamp in `lamps` a pairing link describes again, or null for a new lamp: the same device id
 * (per-device topics name it), or the same command topic on the same broker WebSocket URL.
 */
export function findPairedLamp(lamps: readonly LampSettings[], incoming: LampSettings): LampSettings | null {
  const incomingId = deviceIdFromTopics(incoming.topics.command);
  const byId = incomingId === null ? undefined : lamps.find((l) => l.deviceId === incomingId);
  if (byId) return byId;
  return lamps.find((l) => l.topics.command === incoming.topics.command && sameUrl(l.broker.ws, incoming.broker.ws)) ?? null;
}

/**
 * The lamp a pairing link replaces, updated: the link's name, broker, topics, replies and key;
 * this browser's storage id, and what the link does not carry (chip, pin, Wi-Fi, keepalive), stay.
 * The old broker user and password stay too unless the link brought new ones.
 */
export function mergePairedLamp(existing: LampSettings, incoming: LampSettings, carriedCredentials: boolean): LampSettings {
  const broker = carriedCredentials
    ? { ...incoming.broker, keepalive: existing.broker.keepalive }
    : { ...incoming.broker, user: existing.broker.user, password: existing.broker.password, keepalive: existing.broker.keepalive };
  return {
    ...existing,
    deviceId: deviceIdFromTopics(incoming.topics.command) ?? existing.deviceId,
    name: incoming.name,
    broker,
    topics: { ...incoming.topics },
    replies: { ...incoming.replies },
    auth: { ...incoming.auth },
    remember: {
      ...existing.remember,
      brokerCredentials: carriedCredentials ? incoming.remember.brokerCredentials : existing.remember.brokerCredentials,
    },
    wifi: { ...existing.wifi },
    lamp: { ...existing.lamp },
  };
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** Whether a location hash is the pairing route (the router's question). */
export function isPairingHash(hash: string): boolean {
  return hash.startsWith(`#${PAIRING_ROUTE}?`) || hash === `#${PAIRING_ROUTE}`;
}

function pairingQueryOf(input: string): string | null {
  // The first # is the fragment: a # inside a name or topic is escaped as %23 by the sender.
  const hashAt = input.indexOf('#');
  const route = hashAt >= 0 ? input.slice(hashAt + 1) : input;
  const prefix = `${PAIRING_ROUTE}?`;
  if (route.startsWith(prefix)) return route.slice(prefix.length);
  if (route.startsWith(prefix.slice(1))) return route.slice(prefix.length - 1);
  return null;
}

function deviceIdFromTopics(command: string): string | null {
  return /^nyala\/([0-9a-f]{6})\/lampu$/.exec(command)?.[1] ?? null;
}
