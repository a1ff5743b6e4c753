// The one settings model for a lamp (docs/contracts.md, "Settings"): its name, the broker as the
// board and the browser each reach it, the topics, the replies, the lamp pin and the Wi-Fi.
// Everything here is plain data and pure functions; problems come back as codes with data, and
// ui/ turns them into sentences in Bahasa Indonesia or English.

export type Chip = 'esp8266' | 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c3';

export type BrokerPresetId = 'hivemq' | 'mosquitto' | 'emqx' | 'eclipse' | 'custom';

export interface BrokerSettings {
  preset: BrokerPresetId;
  /** what the board connects to over plain TCP */
  host: string;
  port: number;
  /** what the browser connects to: a ws:// or wss:// URL with the broker's path */
  ws: string;
  user: string;
  password: string;
  keepalive: number;
}

export interface Topics {
  command: string;
  reply: string;
  status: string;
  state: string;
}

export interface Replies {
  on: string;
  off: string;
}

export interface LampPin {
  pin: number;
  activeLow: boolean;
}

export interface WifiSettings {
  ssid: string;
  password: string;
}

/** Which secrets storage and the pairing link may carry; both off unless the person ticks them. */
export interface RememberChoices {
  /** the broker's user and password */
  brokerCredentials: boolean;
  wifiPassword: boolean;
}

/**
 * How the lamp and its remotes talk (docs/contracts.md, "The signed lamp protocol"). `signed`:
 * every command, state, reply and status carries an HMAC-SHA256 made with `key` (32 lowercase hex
 * digits, 16 random bytes), so only key holders can switch the lamp and the remote believes only
 * the lamp. `plain`: the tutorial's protocol, `on`/`off` → `saya hidup`/`saya mati`, which anyone
 * on the broker can read and send.
 */
export type LampAuth = { mode: 'signed'; key: string } | { mode: 'plain' };

export interface LampSettings {
  /** this browser's storage id for the lamp; not shared with the board or other browsers (not the signing key) */
  key: string;
  /** six hex digits; the board's MQTT client id and the default topics are built from it */
  deviceId: string;
  name: string;
  chip: Chip;
  broker: BrokerSettings;
  topics: Topics;
  replies: Replies;
  lamp: LampPin;
  wifi: WifiSettings;
  remember: RememberChoices;
  auth: LampAuth;
}

export type TopicKind = keyof Topics;

// ---------------------------------------------------------------------------------------------
// Limits. Why each is what it is:

/** 802.11 caps an SSID at 32 octets; UTF-8 names count bytes, not characters. */
export const SSID_MAX_BYTES = 32;
/** WPA2-PSK passphrases are 8–63 ASCII characters (IEEE 802.11i); empty means an open network. */
export const WIFI_PASSWORD_MIN = 8;
export const WIFI_PASSWORD_MAX = 63;
/** MQTT allows 65535, but the ESP8266 has ~40 KB of heap for MicroPython; short keeps it safe. */
export const TOPIC_MAX_BYTES = 128;
export const REPLY_MAX_BYTES = 64;
export const NAME_MAX_CHARS = 40;
export const HOST_MAX_CHARS = 253; // the DNS limit for a name
export const URL_MAX_CHARS = 512;
export const CREDENTIAL_MAX_BYTES = 128;
export const KEEPALIVE_MIN = 5;
export const KEEPALIVE_MAX = 600;
/**
 * GPIO numbers that exist on each chip (datasheets, "Pin Overview": ESP8266 0–16, ESP32 0–39,
 * ESP32-S2 0–46, ESP32-S3 0–48, ESP32-C3 0–21).
 */
export const PIN_RANGE: Record<Chip, { min: number; max: number }> = {
  esp8266: { min: 0, max: 16 },
  esp32: { min: 0, max: 39 },
  esp32s2: { min: 0, max: 46 },
  esp32s3: { min: 0, max: 48 },
  esp32c3: { min: 0, max: 21 },
};

export type ReservedPinReason = 'uart' | 'flash' | 'input-only';

/**
 * GPIOs a lamp must not be wired to, and why:
 * - `uart`: GPIO1 (TX) and GPIO3 (RX) are UART0, MicroPython's REPL on both chips, the link the
 *   uploader and the console use; driving one cuts the board off from the computer
 *   (MicroPython docs, "Quick reference for the ESP8266" / "… ESP32": "UART0 is on Pins 1 (TX)
 *   and 3 (RX)"; Espressif ESP8266EX and ESP32 datasheets, pin definitions: U0TXD/U0RXD).
 * - `flash`: GPIO6–11 are wired to the SPI flash the firmware runs from (SD_CLK, SD_DATA0–3,
 *   SD_CMD); touching one crashes the board (MicroPython ESP8266 quick reference, "Pins and GPIO":
 *   "Pins 6–11 are used for connecting the SPI flash"; ESP32 datasheet, "Pin Definitions":
 *   GPIO6–11 are connected to the integrated SPI flash).
 * - `input-only`: on the ESP32, GPIO34–39 have no output driver (ESP32 datasheet, "GPIO & RTC
 *   GPIO": "GPI34–39 are input-only"; MicroPython ESP32 quick reference, "Pins and GPIO").
 * The newer chips (their datasheets' "Pin Overview" / "Strapping and flash pins"):
 * - ESP32-S2 and ESP32-S3: UART0 is GPIO43 (TX) / GPIO44 (RX); GPIO19/20 are the chip's USB
 *   D-/D+, the REPL's link on a board used through its own USB, so they count as `uart` here;
 *   GPIO26–32 are the SPI flash (SPICS1, SPIHD, SPIWP, SPICS0, SPICLK, SPIQ, SPID).
 * - ESP32-C3: UART0 is GPIO21 (TX) / GPIO20 (RX); GPIO18/19 are USB-Serial-JTAG's D-/D+ (`uart`,
 *   as above); GPIO12–17 are the SPI flash.
 */
export const RESERVED_PINS: Record<Chip, ReadonlyMap<number, ReservedPinReason>> = {
  esp8266: new Map<number, ReservedPinReason>([
    [1, 'uart'],
    [3, 'uart'],
    ...[6, 7, 8, 9, 10, 11].map((p): [number, ReservedPinReason] => [p, 'flash']),
  ]),
  esp32: new Map<number, ReservedPinReason>([
    [1, 'uart'],
    [3, 'uart'],
    ...[6, 7, 8, 9, 10, 11].map((p): [number, ReservedPinReason] => [p, 'flash']),
    ...[34, 35, 36, 37, 38, 39].map((p): [number, ReservedPinReason] => [p, 'input-only']),
  ]),
  esp32s2: newerChipPins([43, 44, 19, 20], [26, 27, 28, 29, 30, 31, 32]),
  esp32s3: newerChipPins([43, 44, 19, 20], [26, 27, 28, 29, 30, 31, 32]),
  esp32c3: newerChipPins([20, 21, 18, 19], [12, 13, 14, 15, 16, 17]),
};

function newerChipPins(link: number[], flash: number[]): ReadonlyMap<number, ReservedPinReason> {
  return new Map<number, ReservedPinReason>([
    ...link.map((p): [number, ReservedPinReason] => [p, 'uart']),
    ...flash.map((p): [number, ReservedPinReason] => [p, 'flash']),
  ]);
}

/** Why a pin cannot drive a lamp on this chip, or null when it can. */
export function reservedPinReason(chip: Chip, pin: number): ReservedPinReason | null {
  return RESERVED_PINS[chip].get(pin) ?? null;
}

/** 16 random bytes as lowercase hex: a 128-bit HMAC key (docs/contracts.md, config.json version 2). */
export const LAMP_KEY_HEX_DIGITS = 32;
const LAMP_KEY_PATTERN = /^[0-9a-f]{32}$/;

// ---------------------------------------------------------------------------------------------
// Presets

export interface BrokerPreset {
  id: BrokerPresetId;
  host: string;
  port: number;
  ws: string;
  /** anyone who knows the topics can switch the lamp: the UI says so */
  public: boolean;
}

/** Public brokers, each with the board's TCP endpoint and the browser's WebSocket one (with its path). */
export const BROKER_PRESETS: readonly BrokerPreset[] = [
  { id: 'hivemq', host: 'broker.hivemq.com', port: 1883, ws: 'wss://broker.hivemq.com:8884/mqtt', public: true },
  { id: 'mosquitto', host: 'test.mosquitto.org', port: 1883, ws: 'wss://test.mosquitto.org:8081', public: true },
  { id: 'emqx', host: 'broker.emqx.io', port: 1883, ws: 'wss://broker.emqx.io:8084/mqtt', public: true },
  { id: 'eclipse', host: 'mqtt.eclipseprojects.io', port: 1883, ws: 'wss://mqtt.eclipseprojects.io:443/mqtt', public: true },
  // Your own Mosquitto with a websockets listener: the person fills in host, URL and credentials.
  { id: 'custom', host: '', port: 1883, ws: '', public: false },
];

export function brokerPreset(id: BrokerPresetId): BrokerPreset {
  const preset = BROKER_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`unknown broker preset ${id}`);
  return preset;
}

/** The broker settings for a preset; credentials stay as they were only for `custom`. */
export function applyBrokerPreset(broker: BrokerSettings, id: BrokerPresetId): BrokerSettings {
  const p = brokerPreset(id);
  if (id === 'custom') return { ...broker, preset: 'custom' };
  return { ...broker, preset: id, host: p.host, port: p.port, ws: p.ws, user: '', password: '' };
}

/** Which preset a host/port/ws triple is, so a pasted or paired broker shows its name. */
export function detectBrokerPreset(host: string, port: number, ws: string): BrokerPresetId {
  const match = BROKER_PRESETS.find(
    (p) => p.id !== 'custom' && p.host === host && p.port === port && sameWsUrl(p.ws, ws),
  );
  return match?.id ?? 'custom';
}

function sameWsUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults

export const DEFAULT_REPLIES: Readonly<Replies> = { on: 'saya hidup', off: 'saya mati' };

/** The original tutorial's exact topics, one choice away from the per-device default. */
export const TUTORIAL_TOPICS: Readonly<Topics> = {
  command: 'sooko/lampu',
  reply: 'loger',
  status: 'sooko/lampu/status',
  state: 'sooko/lampu/state',
};

export function deviceTopics(deviceId: string): Topics {
  return {
    command: `nyala/${deviceId}/lampu`,
    reply: `nyala/${deviceId}/loger`,
    status: `nyala/${deviceId}/status`,
    state: `nyala/${deviceId}/state`,
  };
}

/**
 * The on-board LED of the common boards, so a new lamp lights without wiring:
 * - ESP8266 (NodeMCU, Wemos D1 mini, ESP-12): GPIO2, lit when low.
 * - ESP32 (ESP32 DevKit V1 style boards): GPIO2, lit when high.
 * - ESP32-S2 (LOLIN S2 Mini): GPIO15, lit when high.
 * - ESP32-S3 (Seeed XIAO ESP32S3): GPIO21, lit when low. Espressif's own DevKitC-1 has only an
 *   addressable RGB LED (GPIO48/38), which a plain on/off pin cannot light.
 * - ESP32-C3 (the "ESP32-C3 SuperMini" boards): GPIO8, lit when low. Espressif's DevKitM-1 has an
 *   addressable RGB LED on the same pin.
 */
export function defaultLampPin(chip: Chip): LampPin {
  switch (chip) {
    case 'esp8266':
      return { pin: 2, activeLow: true };
    case 'esp32':
      return { pin: 2, activeLow: false };
    case 'esp32s2':
      return { pin: 15, activeLow: false };
    case 'esp32s3':
      return { pin: 21, activeLow: true };
    case 'esp32c3':
      return { pin: 8, activeLow: true };
  }
}

export function randomHex(digits: number): string {
  const bytes = new Uint8Array(Math.ceil(digits / 2));
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, digits);
}

export function newDeviceId(): string {
  return randomHex(6);
}

/** A new signing key from the platform's CSPRNG (crypto.getRandomValues). */
export function newLampKey(): string {
  return randomHex(LAMP_KEY_HEX_DIGITS);
}

/** Whether `key` is a lamp key: 32 lowercase hex digits (128 bits). */
export function isLampKeyHex(key: string): boolean {
  return LAMP_KEY_PATTERN.test(key);
}

/** The tutorial's exact protocol: its topics, unsigned. Anyone on the broker can switch such a lamp. */
export function withTutorialProtocol(s: LampSettings): LampSettings {
  return { ...s, topics: { ...TUTORIAL_TOPICS }, auth: { mode: 'plain' } };
}

/** Per-device topics, signed: the lamp's key is kept if it has one, else a new one is made. */
export function withDeviceProtocol(s: LampSettings): LampSettings {
  const key = s.auth.mode === 'signed' && isLampKeyHex(s.auth.key) ? s.auth.key : newLampKey();
  return { ...s, topics: deviceTopics(s.deviceId), auth: { mode: 'signed', key } };
}

export interface DefaultSettingsOptions {
  chip?: Chip;
  deviceId?: string;
  name?: string;
  preset?: BrokerPresetId;
}

export function defaultSettings(options: DefaultSettingsOptions = {}): LampSettings {
  const chip = options.chip ?? 'esp8266';
  const deviceId = options.deviceId ?? newDeviceId();
  const preset = brokerPreset(options.preset ?? 'hivemq');
  return {
    key: randomHex(12),
    deviceId,
    name: options.name ?? `Lampu ${deviceId}`,
    chip,
    broker: { preset: preset.id, host: preset.host, port: preset.port, ws: preset.ws, user: '', password: '', keepalive: 30 },
    topics: deviceTopics(deviceId),
    replies: { ...DEFAULT_REPLIES },
    lamp: defaultLampPin(chip),
    wifi: { ssid: '', password: '' },
    remember: { brokerCredentials: false, wifiPassword: false },
    auth: { mode: 'signed', key: newLampKey() },
  };
}

/** The board's MQTT client id (config.json `mqtt.client_id`). */
export function boardClientId(settings: LampSettings): string {
  return `nyala-${settings.deviceId}`;
}

// ---------------------------------------------------------------------------------------------
// Validation

export type SettingsField =
  | 'name'
  | 'deviceId'
  | 'broker.host'
  | 'broker.port'
  | 'broker.ws'
  | 'broker.user'
  | 'broker.password'
  | 'broker.keepalive'
  | `topics.${TopicKind}`
  | 'replies.on'
  | 'replies.off'
  | 'lamp.pin'
  | 'wifi.ssid'
  | 'wifi.password'
  | 'auth.key';

/** One problem with one field, as a code and the data a sentence about it needs. */
export type SettingsIssue =
  | { field: SettingsField; code: 'empty' }
  | { field: SettingsField; code: 'too-long'; max: number; actual: number; unit: 'bytes' | 'chars' }
  | { field: SettingsField; code: 'too-short'; min: number; actual: number }
  | { field: `topics.${TopicKind}`; code: 'topic-wildcard'; char: '+' | '#' }
  | { field: `topics.${TopicKind}`; code: 'topic-reserved' }
  | { field: `topics.${TopicKind}`; code: 'topic-duplicate'; other: TopicKind }
  | { field: SettingsField; code: 'control-char' }
  | { field: 'replies.off'; code: 'replies-equal' }
  | { field: 'broker.port' | 'broker.keepalive' | 'lamp.pin'; code: 'out-of-range'; min: number; max: number }
  | { field: 'broker.host'; code: 'host-invalid' }
  | { field: 'broker.ws'; code: 'ws-url-invalid' }
  | { field: 'broker.ws'; code: 'ws-url-scheme'; scheme: string }
  | { field: 'broker.ws'; code: 'ws-insecure-from-https' }
  | { field: 'deviceId'; code: 'device-id-invalid' }
  | { field: 'wifi.password'; code: 'wifi-password-length'; min: number; max: number; actual: number }
  | { field: 'lamp.pin'; code: 'pin-reserved'; pin: number; reason: ReservedPinReason }
  | { field: 'auth.key'; code: 'key-invalid' }
  /** the board tried this value and it did not work (its Wi-Fi or broker said no); `again`: the same value came back */
  | { field: SettingsField; code: 'board-refused'; reason: BoardRefusal; again: boolean };

/** What a board's lamp program reports when the Wi-Fi or broker refuses what the settings say. */
export type BoardRefusal = 'wrong-password' | 'no-ap' | 'broker-refused' | 'broker-auth' | 'broker-timeout';

export type SettingsIssueCode = SettingsIssue['code'];

export interface ValidateOptions {
  /**
   * 'remote' checks what a phone needs to switch the lamp; 'board' also checks what the uploader
   * writes to config.json (Wi-Fi, the board's broker endpoint, the pin).
   */
  purpose: 'remote' | 'board';
  /** the page is served over https, so a ws:// URL would be blocked as mixed content */
  pageIsSecure?: boolean;
}

const encoder = new TextEncoder();
export function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkText(
  issues: SettingsIssue[],
  field: SettingsField,
  value: string,
  limit: { max: number; unit: 'bytes' | 'chars' },
  required = true,
): boolean {
  if (value.trim() === '') {
    if (required) issues.push({ field, code: 'empty' });
    return !required;
  }
  const actual = limit.unit === 'bytes' ? utf8Bytes(value) : [...value].length;
  if (actual > limit.max) {
    issues.push({ field, code: 'too-long', max: limit.max, actual, unit: limit.unit });
    return false;
  }
  if (CONTROL_CHARS.test(value)) {
    issues.push({ field, code: 'control-char' });
    return false;
  }
  return true;
}

export function validateTopics(topics: Topics): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const kinds: TopicKind[] = ['command', 'reply', 'status', 'state'];
  for (const kind of kinds) {
    const field = `topics.${kind}` as const;
    const topic = topics[kind];
    if (!checkText(issues, field, topic, { max: TOPIC_MAX_BYTES, unit: 'bytes' })) continue;
    // We publish and subscribe to exact topics; a wildcard would hear (or be) other devices.
    const wildcard = topic.includes('+') ? '+' : topic.includes('#') ? '#' : null;
    if (wildcard) {
      issues.push({ field, code: 'topic-wildcard', char: wildcard });
      continue;
    }
    // Brokers keep topics starting with $ for themselves ($SYS); clients cannot publish there.
    if (topic.startsWith('$')) {
      issues.push({ field, code: 'topic-reserved' });
      continue;
    }
    const other = kinds.slice(0, kinds.indexOf(kind)).find((k) => topics[k] === topic);
    if (other) issues.push({ field, code: 'topic-duplicate', other });
  }
  return issues;
}

export function validateReplies(replies: Replies): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const onOk = checkText(issues, 'replies.on', replies.on, { max: REPLY_MAX_BYTES, unit: 'bytes' });
  const offOk = checkText(issues, 'replies.off', replies.off, { max: REPLY_MAX_BYTES, unit: 'bytes' });
  // The remote tells on from off by the reply's text, so the two must differ.
  if (onOk && offOk && replies.on === replies.off) issues.push({ field: 'replies.off', code: 'replies-equal' });
  return issues;
}

/** Whether a browser WebSocket URL can be tried from this page; null when it can. */
export function checkWebSocketUrl(
  url: string,
  pageIsSecure = false,
): Extract<SettingsIssue, { field: 'broker.ws' }> | { field: 'broker.ws'; code: 'empty' } | null {
  if (url.trim() === '') return { field: 'broker.ws', code: 'empty' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { field: 'broker.ws', code: 'ws-url-invalid' };
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return { field: 'broker.ws', code: 'ws-url-scheme', scheme: parsed.protocol.replace(/:$/, '') };
  }
  if (parsed.hostname === '') return { field: 'broker.ws', code: 'ws-url-invalid' };
  // Browsers block ws:// from an https page as mixed content; say so instead of failing silently.
  if (pageIsSecure && parsed.protocol === 'ws:') return { field: 'broker.ws', code: 'ws-insecure-from-https' };
  return null;
}

const HOST_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export function validateSettings(settings: LampSettings, options: ValidateOptions): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  checkText(issues, 'name', settings.name, { max: NAME_MAX_CHARS, unit: 'chars' });

  if (settings.broker.ws.length > URL_MAX_CHARS) {
    issues.push({ field: 'broker.ws', code: 'too-long', max: URL_MAX_CHARS, actual: settings.broker.ws.length, unit: 'chars' });
  } else {
    const wsIssue = checkWebSocketUrl(settings.broker.ws, options.pageIsSecure);
    if (wsIssue) issues.push(wsIssue);
  }
  checkText(issues, 'broker.user', settings.broker.user, { max: CREDENTIAL_MAX_BYTES, unit: 'bytes' }, false);
  checkText(issues, 'broker.password', settings.broker.password, { max: CREDENTIAL_MAX_BYTES, unit: 'bytes' }, false);
  if (settings.broker.password !== '' && settings.broker.user.trim() === '') {
    issues.push({ field: 'broker.user', code: 'empty' });
  }
  issues.push(...validateTopics(settings.topics));
  issues.push(...validateReplies(settings.replies));
  // A signed lamp's remote needs the key as much as the board does.
  if (settings.auth.mode === 'signed' && !isLampKeyHex(settings.auth.key)) issues.push({ field: 'auth.key', code: 'key-invalid' });

  if (options.purpose === 'board') {
    if (!/^[0-9a-f]{6}$/.test(settings.deviceId)) issues.push({ field: 'deviceId', code: 'device-id-invalid' });
    if (checkText(issues, 'broker.host', settings.broker.host, { max: HOST_MAX_CHARS, unit: 'chars' })) {
      if (!HOST_PATTERN.test(settings.broker.host)) issues.push({ field: 'broker.host', code: 'host-invalid' });
    }
    checkRange(issues, 'broker.port', settings.broker.port, 1, 65535);
    checkRange(issues, 'broker.keepalive', settings.broker.keepalive, KEEPALIVE_MIN, KEEPALIVE_MAX);
    const pins = PIN_RANGE[settings.chip];
    if (checkRange(issues, 'lamp.pin', settings.lamp.pin, pins.min, pins.max)) {
      const reason = reservedPinReason(settings.chip, settings.lamp.pin);
      if (reason) issues.push({ field: 'lamp.pin', code: 'pin-reserved', pin: settings.lamp.pin, reason });
    }
    checkText(issues, 'wifi.ssid', settings.wifi.ssid, { max: SSID_MAX_BYTES, unit: 'bytes' });
    const pw = settings.wifi.password;
    if (pw !== '' && (pw.length < WIFI_PASSWORD_MIN || pw.length > WIFI_PASSWORD_MAX)) {
      issues.push({ field: 'wifi.password', code: 'wifi-password-length', min: WIFI_PASSWORD_MIN, max: WIFI_PASSWORD_MAX, actual: pw.length });
    }
  }
  return issues;
}

function checkRange(
  issues: SettingsIssue[],
  field: 'broker.port' | 'broker.keepalive' | 'lamp.pin',
  value: number,
  min: number,
  max: number,
): boolean {
  if (Number.isInteger(value) && value >= min && value <= max) return true;
  issues.push({ field, code: 'out-of-range', min, max });
  return false;
}

// ---------------------------------------------------------------------------------------------
// config.json (docs/contracts.md): what the uploader writes to the board. Version 2 is version 1
// plus `auth`; the firmware still reads version 1 files, as plain lamps.

export interface ConfigJsonV1 {
  version: 1;
  wifi: { ssid: string; password: string };
  mqtt: { host: string; port: number; client_id: string; user: string | null; password: string | null; keepalive: number };
  topics: Topics;
  lamp: { pin: number; active_low: boolean };
  replies: Replies;
}

export type ConfigJsonV2 = Omit<ConfigJsonV1, 'version'> & { version: 2; auth: LampAuth };

export function toConfigJson(settings: LampSettings): ConfigJsonV2 {
  const { broker } = settings;
  return {
    version: 2,
    wifi: { ssid: settings.wifi.ssid, password: settings.wifi.password },
    mqtt: {
      host: broker.host,
      port: broker.port,
      client_id: boardClientId(settings),
      user: broker.user === '' ? null : broker.user,
      password: broker.password === '' ? null : broker.password,
      keepalive: broker.keepalive,
    },
    topics: { command: settings.topics.command, reply: settings.topics.reply, status: settings.topics.status, state: settings.topics.state },
    lamp: { pin: settings.lamp.pin, active_low: settings.lamp.activeLow },
    replies: { on: settings.replies.on, off: settings.replies.off },
    auth: settings.auth.mode === 'signed' ? { mode: 'signed', key: settings.auth.key } : { mode: 'plain' },
  };
}
