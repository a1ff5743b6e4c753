// Put the lamp program on a board that runs MicroPython, through its REPL (repl.ts), and watch it
// start. No DOM: typed events and coded errors; ui/ words them.
//
// Each file goes to `<name>.tmp`, its sha256 is computed on the board (hashlib) and compared with
// ours, and only when every file is verified are they renamed into place: an unplug or a garbled
// link never leaves half a file where the board would run it. FAT's rename removes the target
// first, so a power cut between the two leaves a verified `.tmp` and no target: the next upload
// sees the `.tmp` already has the right sha256 and just renames it. Files whose sha256 matches are
// skipped, and files that aren't ours are never touched.
import { DeviceError } from './device-error.ts';
import { ProgressMeter, type Progress } from './progress.ts';
import { sha256Hex } from './sha256.ts';
import { Repl, ReplError, ReplExecError, type ReplErrorCode } from './repl.ts';
import { pyBytesLiteral } from './py-literal.ts';
import { hintFor, parseLampLog, type BootHint, type LampLog } from './lamp-log.ts';
import type { SerialPortLike } from './port.ts';
import { BROKER_PRESETS, isLampKeyHex, type ConfigJsonV1, type ConfigJsonV2, type LampSettings } from '../lamp/settings.ts';

export interface ProgramFile {
  /** a name in the board's root directory, e.g. "main.py" */
  name: string;
  bytes: Uint8Array;
}

/** write: send it; skip: the board has it already; finish: a verified `.tmp` is there, rename it. */
export type FileAction = 'write' | 'skip' | 'finish';

export interface PlannedFile {
  name: string;
  action: FileAction;
  size: number;
}

export type UploadErrorCode =
  | ReplErrorCode
  /** the sha256 on the board differed twice */
  | 'verify-failed'
  /** the board's filesystem is full (OSError ENOSPC) */
  | 'no-space'
  /** our code failed on the board for another reason (its traceback is in detail) */
  | 'board-error';

export class UploadError extends DeviceError<UploadErrorCode> {
  constructor(
    code: UploadErrorCode,
    detail = '',
    /** the file being written when it happened */
    readonly file?: string,
  ) {
    super('UploadError', code, detail, `${code}${file ? ` (${file})` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

export type RetryReason = 'sha-mismatch' | 'board-error' | 'link-error';

export type UploadEvent =
  | { state: 'connecting' }
  | { state: 'checking' }
  | { state: 'plan'; files: PlannedFile[] }
  | { state: 'writing'; file: string; attempt: number; progress: Progress }
  | { state: 'verifying'; file: string }
  | { state: 'retrying'; file: string; reason: RetryReason; detail: string }
  | { state: 'renaming'; files: string[] }
  | { state: 'uploaded'; summary: UploadSummary };

export type BootEvent =
  | { state: 'restarting' }
  | { state: 'log'; log: LampLog }
  | { state: 'online'; ip: string | undefined }
  | { state: 'failed'; hint: BootHint; log?: LampLog };

export type ProvisionEvent = UploadEvent | BootEvent | { state: 'error'; code: UploadErrorCode; detail: string; file?: string };

export interface UploadSummary {
  written: string[];
  skipped: string[];
  /** leftover verified `.tmp` files that only needed their rename */
  finished: string[];
  /** file bytes sent (payload, not the encoding around it) */
  bytes: number;
  seconds: number;
}

export interface UploadOptions {
  onEvent?: (e: UploadEvent) => void;
  /** file bytes per exec; each becomes one `f.write(b'''…''')` (default 2048) */
  chunkSize?: number;
}

/**
 * The board-side helpers, defined once per upload (and again before a retry): a file's sha256 as
 * hex, or "-" if absent. A file a failed attempt left open is closed first (FAT may refuse to
 * open it again).
 */
const HELPERS = `import os, hashlib
try:
    _nyf.close()
except NameError:
    pass
def _nyh(n):
    try:
        f = open(n, 'rb')
    except OSError:
        return '-'
    h = hashlib.sha256()
    b = bytearray(512)
    while True:
        k = f.readinto(b)
        if not k:
            break
        h.update(b if k == 512 else b[:k])
    f.close()
    return ''.join('%02x' % x for x in h.digest())
`;

const DEFAULT_CHUNK = 2048;

/**
 * Upload `files` through `repl`, which must be in the raw REPL. Returns what was written and
 * skipped; throws UploadError. The board's files change only by renames of verified `.tmp` files.
 */
export async function uploadFiles(repl: Repl, files: readonly ProgramFile[], options: UploadOptions = {}): Promise<UploadSummary> {
  const emit = options.onEvent ?? (() => undefined);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const started = performance.now();
  try {
    emit({ state: 'checking' });
    const hashes = await Promise.all(files.map(async (f) => ({ file: f, sha: await sha256Hex(f.bytes) })));
    const onBoard = await boardHashes(repl, files.map((f) => f.name), HELPERS);
    const plan = hashes.map(({ file, sha }): PlannedFile & { sha: string; tmpStale: boolean } => {
      const found = onBoard.get(file.name) ?? { sha: '-', tmp: '-' };
      const action: FileAction = found.sha === sha ? 'skip' : found.tmp === sha ? 'finish' : 'write';
      return { name: file.name, action, size: file.bytes.length, sha, tmpStale: action === 'skip' && found.tmp !== '-' };
    });
    emit({ state: 'plan', files: plan.map(({ name, action, size }) => ({ name, action, size })) });

    const toWrite = plan.filter((p) => p.action === 'write');
    const meter = new ProgressMeter(toWrite.reduce((n, p) => n + p.size, 0));
    let done = 0;
    let sent = 0;
    for (const p of toWrite) {
      const file = files.find((f) => f.name === p.name)!;
      const base = done;
      for (let attempt = 1; ; attempt++) {
        try {
          const sha = await writeTmp(repl, file, chunkSize, (n) => {
            done = base + n;
            emit({ state: 'writing', file: file.name, attempt, progress: meter.at(done) });
          }, () => emit({ state: 'verifying', file: file.name }));
          sent += file.bytes.length;
          if (sha === p.sha) break;
          if (attempt >= 2) throw new UploadError('verify-failed', `board ${sha}, expected ${p.sha}`, file.name);
          emit({ state: 'retrying', file: file.name, reason: 'sha-mismatch', detail: sha });
        } catch (err) {
          const reason = retryable(err);
          if (!reason || attempt >= 2) {
            // Give back the space a half-written .tmp takes (a full filesystem is one reason).
            if (err instanceof ReplExecError) await repl.exec(`${HELPERS}\ntry:\n    os.remove(${py(file.name + '.tmp')})\nexcept OSError:\n    pass`).catch(() => undefined);
            throw toUploadError(err, file.name);
          }
          emit({ state: 'retrying', file: file.name, reason, detail: String((err as Error).message) });
          // Whatever the garbled bytes left the board doing (a paste still open, a half line),
          // get back to a clean raw prompt and our helpers before the second attempt.
          if (reason === 'link-error') await repl.recover();
          await repl.exec(HELPERS);
        }
      }
      done = base + file.bytes.length;
    }

    const moving = plan.filter((p) => p.action !== 'skip');
    const stale = plan.filter((p) => p.tmpStale);
    if (moving.length > 0 || stale.length > 0) {
      emit({ state: 'renaming', files: moving.map((p) => p.name) });
      const code = [
        ...moving.map((p) => `os.rename(${py(p.name + '.tmp')}, ${py(p.name)})`),
        ...stale.map((p) => `os.remove(${py(p.name + '.tmp')})`),
      ].join('\n');
      const after = await boardHashes(repl, moving.map((p) => p.name), code);
      for (const p of moving) {
        const got = after.get(p.name)?.sha;
        if (got !== p.sha) throw new UploadError('verify-failed', `after rename: board ${got}, expected ${p.sha}`, p.name);
      }
    }
    const summary: UploadSummary = {
      written: toWrite.map((p) => p.name),
      skipped: plan.filter((p) => p.action === 'skip').map((p) => p.name),
      finished: plan.filter((p) => p.action === 'finish').map((p) => p.name),
      bytes: sent,
      seconds: (performance.now() - started) / 1000,
    };
    emit({ state: 'uploaded', summary });
    return summary;
  } catch (err) {
    throw toUploadError(err);
  }
}

/** Write one file to `<name>.tmp` in chunks; returns the sha256 the board computes of it. */
async function writeTmp(
  repl: Repl,
  file: ProgramFile,
  chunkSize: number,
  onProgress: (done: number) => void,
  onVerify: () => void,
): Promise<string> {
  const tmp = py(file.name + '.tmp');
  const enc = new TextEncoder();
  const total = file.bytes.length;
  let offset = 0;
  onProgress(0);
  do {
    const chunk = file.bytes.subarray(offset, offset + chunkSize);
    const first = offset === 0;
    const last = offset + chunk.length >= total;
    const code = concat(
      enc.encode(first ? `_nyf = open(${tmp}, 'wb')\n_nyf.write(` : '_nyf.write('),
      pyBytesLiteral(chunk),
      enc.encode(last ? `)\n_nyf.close()\nprint(_nyh(${tmp}))` : ')'),
    );
    const at = offset;
    if (last) {
      // The last exec also hashes: say so once its bytes are out.
      const out = await repl.exec(code, {
        onSent: (n, of) => {
          onProgress(at + Math.round((chunk.length * n) / of));
          if (n === of) onVerify();
        },
      });
      onProgress(total);
      return out.trim();
    }
    await repl.exec(code, { onSent: (n, of) => onProgress(at + Math.round((chunk.length * n) / of)) });
    offset += chunk.length;
  } while (offset < total);
  return '';
}

/**
 * sha256 of each name and of its `.tmp` on the board ("-" when absent), after running `before`
 * in the same exec (one round trip fewer).
 */
async function boardHashes(repl: Repl, names: readonly string[], before = ''): Promise<Map<string, { sha: string; tmp: string }>> {
  const loop = names.length === 0 ? '' : `for n in (${names.map(py).join(', ')},):\n    print(_nyh(n), _nyh(n + '.tmp'))`;
  const out = await repl.exec(`${before}\n${loop}`);
  const lines = out.trim().split(/\r?\n/);
  const map = new Map<string, { sha: string; tmp: string }>();
  names.forEach((name, i) => {
    const [sha = '-', tmp = '-'] = (lines[i] ?? '').trim().split(' ');
    map.set(name, { sha, tmp });
  });
  return map;
}

function retryable(err: unknown): RetryReason | null {
  if (err instanceof ReplExecError) return /ENOSPC|Errno 28/.test(err.exception) ? null : 'board-error';
  if (err instanceof ReplError) return err.code === 'timeout' || err.code === 'protocol' ? 'link-error' : null;
  return null;
}

export function toUploadError(err: unknown, file?: string): UploadError {
  if (err instanceof UploadError) return err;
  if (err instanceof ReplError) return new UploadError(err.code, err.detail, file);
  if (err instanceof ReplExecError) {
    return new UploadError(/ENOSPC|Errno 28/.test(err.exception) ? 'no-space' : 'board-error', err.traceback.trim(), file);
  }
  return new UploadError('protocol', String((err as Error | null)?.message ?? err), file);
}

/** A Python string literal for an ASCII name (JSON's quoting is Python's for these). */
function py(s: string): string {
  return JSON.stringify(s);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface FollowOptions {
  /** real ms from the restart to `mqtt ok` (Wi-Fi joins and a broker answers in ~10 s) */
  timeoutMs?: number;
  /** keep following after an error line (the firmware retries by itself); default false */
  throughErrors?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: BootEvent) => void;
}

export type BootResult = { online: true; ip: string | undefined } | { online: false; hint: BootHint; log?: LampLog };

/**
 * Follow the lamp program's log lines after `repl.runMain()` until it says `mqtt ok` (online),
 * an error (with the hint for it), or nothing more in time.
 */
export async function followBoot(repl: Repl, options: FollowOptions = {}): Promise<BootResult> {
  const emit = options.onEvent ?? (() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  let ip: string | undefined;
  let lastError: { hint: BootHint; log: LampLog } | undefined;
  let last: LampLog | undefined;
  const finish = (r: BootResult): BootResult => {
    emit(r.online ? { state: 'online', ip: r.ip } : { state: 'failed', hint: r.hint, ...(r.log ? { log: r.log } : {}) });
    return r;
  };
  for (;;) {
    let line: string;
    try {
      line = await repl.readLine(Math.max(1, deadline - Date.now()), options.signal);
    } catch (err) {
      if (err instanceof ReplError && err.code === 'timeout') {
        // Nothing decisive in time: the last error seen, or how far it got.
        if (lastError) return finish({ online: false, ...lastError });
        const hint: BootHint =
          last?.part === 'wifi' ? 'wifi-timeout' : last?.part === 'mqtt' ? 'broker-timeout' : 'no-log';
        return finish({ online: false, hint, ...(last ? { log: last } : {}) });
      }
      throw toUploadError(err);
    }
    const log = parseLampLog(line);
    if (!log) continue;
    last = log;
    emit({ state: 'log', log });
    if (log.part === 'wifi' && log.word === 'ok') ip = log.ip;
    if (log.part === 'mqtt' && log.word === 'ok') return finish({ online: true, ip });
    const hint = hintFor(log);
    if (hint) {
      lastError = { hint, log };
      if (!options.throughErrors || hint === 'config') return finish({ online: false, hint, log });
    }
  }
}

export interface ProvisionOptions extends UploadOptions, Omit<FollowOptions, 'onEvent'> {
  onEvent?: (e: ProvisionEvent) => void;
  /** every byte the board sends (a console log for the curious) */
  onReceive?: (bytes: Uint8Array) => void;
  /** for interrupting what runs and entering the raw REPL (real ms) */
  connectTimeoutMs?: number;
  /** false: upload only, don't restart the board and follow its log */
  restart?: boolean;
}

export interface ProvisionResult {
  upload: UploadSummary;
  /** absent when restart is false */
  boot?: BootResult;
}

/**
 * The whole routine on a port handed over closed (BoardPort.take('repl').port): open at 115200,
 * interrupt whatever runs, raw REPL, upload, restart into main.py, follow its log, close.
 */
export async function provisionLamp(port: SerialPortLike, files: readonly ProgramFile[], options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const emit = options.onEvent ?? (() => undefined);
  let repl: Repl | undefined;
  try {
    emit({ state: 'connecting' });
    repl = await Repl.open(port, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onReceive ? { onReceive: options.onReceive } : {}) });
    await repl.enterRawRepl(options.connectTimeoutMs ?? 10_000);
    const upload = await uploadFiles(repl, files, { ...options, onEvent: emit });
    if (options.restart === false) {
      await repl.exitRawRepl();
      return { upload };
    }
    emit({ state: 'restarting' });
    await repl.runMain();
    const boot = await followBoot(repl, { ...options, onEvent: emit });
    return { upload, boot };
  } catch (err) {
    const e = toUploadError(err);
    emit({ state: 'error', code: e.code, detail: e.detail, ...(e.file ? { file: e.file } : {}) });
    throw e;
  } finally {
    await repl?.close();
  }
}

export interface MicroPythonInfo {
  /** sys.platform: "esp8266", "esp32" */
  platform: string;
  /** os.uname().release, e.g. "1.27.0" */
  release: string;
  /** os.uname().machine, e.g. "ESP module with ESP8266" */
  machine: string;
  /** whether the board's firmware has the lamp program's files (all three) */
  hasLampProgram: boolean;
  /** the lamp's config.json on the board (version 1 or 2), when there is a valid one */
  config?: BoardConfig;
}

/** A Nyala lamp's config.json as found on a board (docs/contracts.md). */
export type BoardConfig = ConfigJsonV1 | ConfigJsonV2;

export interface ReplSessionOptions {
  signal?: AbortSignal;
  /** real ms to get a raw REPL; short for detection (default 3000) */
  timeoutMs?: number;
}

/**
 * Does MicroPython answer on this port? For "just upload" (skip flashing). Interrupts whatever
 * runs (a lamp program stops) and leaves the board at the friendly REPL; null when nothing
 * REPL-like answers in time. The port is closed again afterwards.
 */
export async function detectMicroPython(port: SerialPortLike, options: ReplSessionOptions = {}): Promise<MicroPythonInfo | null> {
  let repl: Repl | undefined;
  try {
    repl = await Repl.open(port, options.signal ? { signal: options.signal } : {});
    try {
      await repl.enterRawRepl(options.timeoutMs ?? 3000);
    } catch (err) {
      if (err instanceof ReplError && err.code === 'no-repl') return null;
      throw err;
    }
    const out = await repl.exec(
      "import sys, os\nu = os.uname()\nprint(sys.platform)\nprint(u.release)\nprint(u.machine)\n" +
        "n = 0\nfor f in ('wifi.py', 'mqtt.py', 'main.py'):\n    try:\n        os.stat(f)\n        n += 1\n    except OSError:\n        pass\nprint(n)\n" +
        // The lamp already on it (its identity: device id, topics, key): printed as it is, a
        // kilobyte of JSON, in one read (a hex dump would cost the ESP8266 ~1000 small strings).
        "try:\n    f = open('config.json')\n    print(f.read())\n    f.close()\nexcept OSError:\n    pass",
    );
    const [platform = '', release = '', machine = '', n = '0', ...rest] = out.split(/\r?\n/);
    await repl.exitRawRepl();
    const config = parseBoardConfig(rest.join('\n'));
    return { platform, release, machine, hasLampProgram: Number(n) === 3, ...(config ? { config } : {}) };
  } catch (err) {
    throw toUploadError(err);
  } finally {
    await repl?.close();
  }
}

export interface WifiNetwork {
  ssid: string;
  /** dBm */
  rssi: number;
  channel: number;
  /** network.AUTH_*: 0 open */
  authmode: number;
}

/**
 * The Wi-Fi networks the board sees (network.WLAN(STA_IF).scan()), strongest first, one entry
 * per name, hidden networks left out. Interrupts whatever runs; leaves the friendly REPL.
 */
export async function scanWifi(port: SerialPortLike, options: ReplSessionOptions = {}): Promise<WifiNetwork[]> {
  let repl: Repl | undefined;
  try {
    repl = await Repl.open(port, options.signal ? { signal: options.signal } : {});
    await repl.enterRawRepl(options.timeoutMs ?? 10_000);
    // SSIDs are bytes in any encoding: send them as hex, decode here.
    const out = await repl.exec(
      'import network\nw = network.WLAN(network.STA_IF)\nw.active(True)\n' +
        "for s in w.scan():\n    print(''.join('%02x' % c for c in s[0]), s[3], s[2], s[4])",
      { timeoutMs: 20_000 },
    );
    await repl.exitRawRepl();
    return parseScan(out);
  } catch (err) {
    throw toUploadError(err);
  } finally {
    await repl?.close();
  }
}

/** Lines of "<ssid hex> <rssi> <channel> <authmode>" as networks, strongest first, deduplicated. */
export function parseScan(out: string): WifiNetwork[] {
  const best = new Map<string, WifiNetwork>();
  for (const line of out.split(/\r?\n/)) {
    // A hidden network's name is empty: the line then starts with a space.
    const [hex = '', rssi, channel, authmode] = line.replace(/\r$/, '').split(' ');
    if (!hex || rssi === undefined) continue;
    const bytes = new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
    const ssid = new TextDecoder().decode(bytes);
    const n: WifiNetwork = { ssid, rssi: Number(rssi), channel: Number(channel), authmode: Number(authmode) };
    const had = best.get(ssid);
    if (!had || had.rssi < n.rssi) best.set(ssid, n);
  }
  return [...best.values()].sort((a, b) => b.rssi - a.rssi);
}

/** config.json's text as a board holds it, or undefined when it is not a Nyala lamp's (v1 or v2). */
export function parseBoardConfig(text: string): BoardConfig | undefined {
  if (text.trim() === '') return undefined;
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = c as Omit<Partial<ConfigJsonV2>, 'version'> & { version?: unknown };
  const str = (v: unknown): v is string => typeof v === 'string';
  if (typeof o !== 'object' || o === null || (o.version !== 1 && o.version !== 2)) return undefined;
  const { wifi, mqtt, topics, lamp, replies } = o;
  if (!wifi || !str(wifi.ssid) || !str(wifi.password)) return undefined;
  if (!mqtt || !str(mqtt.host) || typeof mqtt.port !== 'number' || !str(mqtt.client_id)) return undefined;
  if (!topics || ![topics.command, topics.reply, topics.status, topics.state].every(str)) return undefined;
  if (!lamp || typeof lamp.pin !== 'number' || typeof lamp.active_low !== 'boolean') return undefined;
  if (!replies || !str(replies.on) || !str(replies.off)) return undefined;
  if (o.version === 2) {
    const auth = o.auth;
    if (!auth || !(auth.mode === 'plain' || (auth.mode === 'signed' && str(auth.key) && isLampKeyHex(auth.key)))) return undefined;
  }
  return o as BoardConfig;
}

/** The device id in a client id the uploader made (`nyala-<6 hex>`), if it is one. */
export function deviceIdOf(config: BoardConfig): string | undefined {
  return /^nyala-([0-9a-f]{6})$/.exec(config.mqtt.client_id)?.[1];
}

/**
 * The lamp a board already carries, on top of `base` (the lamp saved in this browser, or a new
 * one): its device id, topics, key, broker, Wi-Fi, pin and answers stay what the board has, so an
 * upload again keeps its identity and every paired remote keeps working. A version 1 config is a
 * plain (unsigned) lamp, as the firmware reads it.
 */
export function settingsFromBoard(config: BoardConfig, base: LampSettings): LampSettings {
  const m = config.mqtt;
  // The browser's address of the broker is not in config.json: the saved lamp's, or a preset's.
  const same = base.broker.host === m.host && base.broker.port === m.port;
  const preset = BROKER_PRESETS.find((p) => p.id !== 'custom' && p.host === m.host && p.port === m.port);
  const where = same ? { preset: base.broker.preset, ws: base.broker.ws } : { preset: preset?.id ?? 'custom', ws: preset?.ws ?? base.broker.ws };
  return {
    ...base,
    deviceId: deviceIdOf(config) ?? base.deviceId,
    broker: { ...base.broker, ...where, host: m.host, port: m.port, user: m.user ?? '', password: m.password ?? '', keepalive: m.keepalive ?? base.broker.keepalive },
    topics: { ...config.topics },
    replies: { ...config.replies },
    lamp: { pin: config.lamp.pin, activeLow: config.lamp.active_low },
    wifi: { ssid: config.wifi.ssid, password: config.wifi.password },
    auth: config.version === 2 ? (config.auth.mode === 'signed' ? { mode: 'signed', key: config.auth.key } : { mode: 'plain' }) : { mode: 'plain' },
  };
}
