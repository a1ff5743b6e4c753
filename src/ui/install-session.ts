// The install journey for the page: one instance, outside any view, so moving between Install,
// Remote and Console never stops a flash or an upload, and coming back shows where it is. It runs
// src/device/install-routine.ts, keeps its latest state, answers its questions with what the
// person chose in the Install view, and tells the rest of the app what it does: the navigation's
// progress (journey-status.ts), the write lock other tabs see (board-lock.ts), and `beforeunload`
// armed only while the board is being written.
import type { DetectedBoard } from '../device/flasher.ts';
import { fetchCatalogImage, type CatalogImage } from '../device/firmware.ts';
import {
  InstallError,
  isFinal,
  isWriting,
  runInstall,
  type FirmwareChoice,
  type InstallState,
  type PortSource,
  type WriteGuard,
} from '../device/install-routine.ts';
import type { BoardPort } from '../device/port.ts';
import { deviceIdOf, settingsFromBoard, type BoardConfig, type MicroPythonInfo, type ProgramFile, type WifiNetwork } from '../device/provision.ts';
import type { BootHint } from '../device/lamp-log.ts';
import { describeError } from '../device/device-error.ts';
import { lampProgram } from '../device/lamp-program.ts';
import { defaultSettings, type BoardRefusal, type Chip, type LampSettings, type SettingsField, type SettingsIssue } from '../lamp/settings.ts';
import { connectedPort, pickPort, portCameBack } from './board-link.ts';
import { someoneWriting, tryWriteLock } from './board-lock.ts';
import { setJourneyStatus, type JourneyPhase } from './journey-status.ts';
import { setBusy } from './pwa.ts';
import { session as lamps } from './remote-session.ts';
import { demoSettings } from './demo-hooks.ts';
import '../i18n/installer.ts';

export type JourneyState = InstallState | { state: 'idle' };

/** What the person picked in the firmware step. */
export type ImageChoice = { kind: 'bundled'; image: CatalogImage } | { kind: 'file'; name: string; bytes: Uint8Array };

/** Boot hints that name a setting to fix, and the fields that hold it (the first is focused). */
const REFUSED_FIELDS: Record<BoardRefusal, readonly SettingsField[]> = {
  'wrong-password': ['wifi.password'],
  'no-ap': ['wifi.ssid'],
  'broker-refused': ['broker.host', 'broker.port'],
  'broker-timeout': ['broker.host', 'broker.port'],
  'broker-auth': ['broker.user', 'broker.password'],
};

function isRefusal(hint: BootHint): hint is BoardRefusal {
  return hint in REFUSED_FIELDS;
}

function valueOf(s: LampSettings, field: SettingsField): string {
  switch (field) {
    case 'wifi.password':
      return s.wifi.password;
    case 'wifi.ssid':
      return s.wifi.ssid;
    case 'broker.host':
      return s.broker.host;
    case 'broker.port':
      return String(s.broker.port);
    case 'broker.user':
      return s.broker.user;
    case 'broker.password':
      return s.broker.password;
    default:
      return '';
  }
}

/** A setting the board could not use: the values it tried, so the same ones are never sent again. */
export interface Refused {
  reason: BoardRefusal;
  tried: ReadonlyMap<SettingsField, string>;
}

export interface StartOptions {
  /** list every serial port, not only known ESP USB bridges */
  showAll?: boolean;
  /** take the WebUSB way although Web Serial exists */
  via?: 'usb';
  /** pin a baud (0: automatic) */
  baud?: number;
}

interface Pending<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

function pending<T>(): { promise: Promise<T>; handle: Pending<T> } {
  let handle!: Pending<T>;
  const promise = new Promise<T>((resolve, reject) => (handle = { resolve, reject }));
  return { promise, handle };
}

const guard: WriteGuard = {
  async acquire() {
    const release = await tryWriteLock();
    if (!release) throw new InstallError('other-tab');
    return release;
  },
};

export class InstallSession {
  state: JourneyState = { state: 'idle' };
  /** the board as the bootloader described it (kept for the screens after the flash) */
  board?: DetectedBoard;
  /** the lamp being set up: what the upload writes and the remote then uses */
  lamp?: LampSettings;
  /** esptool-js's lines, the last of them shown under "Details" */
  log: string[] = [];
  backupName?: string;
  networks: string[] = [];
  scanning = false;
  /** why the last Wi-Fi scan failed (a code the view words) */
  scanError?: string;
  /** the lamp the board already carried (its config.json), whose identity the upload keeps */
  found?: { config: BoardConfig; deviceId: string };
  /** the last boot was refused by the Wi-Fi or broker: the form comes back with the field to fix */
  refused?: Refused;
  /** when the current state began (performance.now()), for "erasing: 4 s" */
  since = 0;
  /** the upload step the journey was in when it was cancelled (what state the board is in) */
  cancelledAt?: string;
  private files?: readonly ProgramFile[];
  private options: StartOptions = {};
  private abort?: AbortController;
  private scanFn?: () => Promise<WifiNetwork[]>;
  private asked: {
    micropython?: Pending<'upload' | 'flash'>;
    firmware?: Pending<FirmwareChoice>;
    confirm?: Pending<boolean>;
    program?: Pending<readonly ProgramFile[]>;
    port?: Pending<BoardPort>;
  } = {};
  private readonly listeners = new Set<() => void>();
  private readonly onBeforeUnload = (e: BeforeUnloadEvent) => {
    e.preventDefault();
    // Older Chromium shows the prompt only when returnValue is set.
    e.returnValue = '';
  };
  private unloadArmed = false;

  get running(): boolean {
    return this.abort !== undefined;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Connect: the whole journey from the port on. Call it from the click (the port chooser needs it). */
  start(options: StartOptions = {}): void {
    if (this.running) return;
    this.options = options;
    this.log = [];
    this.backupName = undefined;
    this.board = undefined;
    this.found = undefined;
    this.refused = undefined;
    void this.run();
  }

  /** Upload the same lamp program again (after an unplug, a timeout…): no questions. */
  uploadAgain(): void {
    if (this.running || !this.files) return;
    void this.run(this.files);
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** Back to the start (the fix form's Cancel, once the routine has ended). */
  reset(): void {
    if (this.running) return;
    this.refused = undefined;
    this.update({ state: 'idle' });
  }

  answerMicroPython(choice: 'upload' | 'flash'): void {
    this.asked.micropython?.resolve(choice);
  }

  chooseFirmware(choice: ImageChoice, eraseAll: boolean, backup: boolean): void {
    const image = () =>
      choice.kind === 'file' ? choice.bytes : fetchCatalogImage(new URL(import.meta.env.BASE_URL, location.href).href, choice.image);
    this.asked.firmware?.resolve({ image, eraseAll, backup });
  }

  confirm(yes: boolean): void {
    this.asked.confirm?.resolve(yes);
  }

  /** The settings form's Upload. Refuses (returns the issues) a value the board already tried. */
  saveSettings(settings: LampSettings): SettingsIssue[] {
    const again = this.refusedIssues(settings, true);
    if (again.length > 0) return again;
    this.refused = undefined;
    this.lamp = settings;
    this.files = lampProgram(settings);
    if (this.asked.program) {
      this.asked.program.resolve(this.files);
    } else if (!this.running) {
      // After a refused boot the routine has ended: upload the corrected lamp program.
      void this.run(this.files);
    }
    return [];
  }

  /** The issues to show beside the fields the board refused (`same`: only if `s` still has those values). */
  refusedIssues(s: LampSettings | undefined = this.lamp, same = false): SettingsIssue[] {
    const r = this.refused;
    if (!r || !s) return [];
    const unchanged = [...r.tried].every(([f, v]) => valueOf(s, f) === v);
    if (same && !unchanged) return [];
    return REFUSED_FIELDS[r.reason].map((field) => ({ field, code: 'board-refused', reason: r.reason, again: same }));
  }

  /** The native-USB port did not come back by itself: the person picks it (from a click). */
  pickPortAgain(): void {
    const ask = this.asked.port;
    if (!ask) return;
    pickPort(false).then(
      (p) => ask.resolve(p),
      (err: unknown) => ask.reject(err),
    );
  }

  /** Ask the board which networks it sees (the settings step). */
  async scan(): Promise<void> {
    if (!this.scanFn || this.scanning) return;
    this.scanning = true;
    this.scanError = undefined;
    this.notify();
    try {
      this.networks = (await this.scanFn()).map((n) => n.ssid);
    } catch (err) {
      // Said, not swallowed: the form shows why the list is empty.
      this.networks = [];
      this.scanError = (err as { code?: string }).code ?? describeError(err);
    } finally {
      this.scanning = false;
      this.notify();
    }
  }

  private async run(upload?: readonly ProgramFile[]): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const options = this.options;
    // Another tab writing: say so now, before the person chooses anything.
    if (await someoneWriting().catch(() => false)) {
      this.abort = undefined;
      this.update({ state: 'failed', during: 'port', error: new InstallError('other-tab') });
      return;
    }
    const ports: PortSource = {
      // Connect always lets the person choose (the other board on the desk, not silently the last
      // one); an upload again goes to the board it just worked with.
      take: () => {
        const here = connectedPort();
        return upload && here && !here.unplugged ? Promise.resolve(here) : pickPort(options.showAll ?? false, options.via);
      },
      reappeared: (info, signal) => portCameBack(info, connectedPort()?.raw, signal),
      chooseAgain: () => this.ask('port'),
    };
    try {
      const result = await runInstall({
        ports,
        guard,
        signal: abort.signal,
        ...(options.baud ? { baud: options.baud } : {}),
        ...(upload ? { upload } : {}),
        onLog: (line) => {
          this.log.push(line);
          if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
        },
        onState: (s) => {
          // Known before the view renders the failure: it brings the form back, not a retry.
          if (s.state === 'boot-failed') this.noteRefusal(s.hint);
          this.update(s);
        },
        choices: {
          onMicroPython: (info) => {
            this.noteLampOnBoard(info);
            return this.ask('micropython');
          },
          chooseFirmware: (board) => {
            this.board = board;
            return this.ask('firmware');
          },
          confirmErase: () => this.ask('confirm'),
          saveBackup: (data, board) => {
            this.backupName = `nyala-backup-${board.chip}-${board.mac.replace(/:/g, '')}.bin`;
            saveFile(data, this.backupName);
          },
          lampProgram: ({ chip, scanWifi }) => {
            this.scanFn = scanWifi;
            this.prepareLamp(chip);
            return this.ask('program');
          },
        },
      });
      if (result.state === 'online' && this.lamp) await lamps.put(this.lamp);

    } finally {
      this.abort = undefined;
      this.scanFn = undefined;
      this.asked = {};
      this.notify();
    }
  }

  private ask(what: 'micropython'): Promise<'upload' | 'flash'>;
  private ask(what: 'firmware'): Promise<FirmwareChoice>;
  private ask(what: 'confirm'): Promise<boolean>;
  private ask(what: 'program'): Promise<readonly ProgramFile[]>;
  private ask(what: 'port'): Promise<BoardPort>;
  private ask(what: keyof InstallSession['asked']): Promise<unknown> {
    const { promise, handle } = pending<unknown>();
    (this.asked as Record<string, Pending<unknown>>)[what] = handle;
    return promise;
  }

  /** The Wi-Fi or the broker refused the lamp's settings: remember the values the board tried. */
  private noteRefusal(hint: BootHint): void {
    const lamp = this.lamp;
    this.refused = isRefusal(hint) && lamp ? { reason: hint, tried: new Map(REFUSED_FIELDS[hint].map((f) => [f, valueOf(lamp, f)])) } : undefined;
  }

  /** A lamp program on the board: remember its config.json, so the upload keeps its identity. */
  private noteLampOnBoard(info: MicroPythonInfo): void {
    const config = info.config;
    this.found = config ? { config, deviceId: deviceIdOf(config) ?? '' } : undefined;
  }

  /**
   * The lamp to set up. A board that already carries a Nyala lamp keeps it: the lamp saved in this
   * browser with its device id and topics (same storage key, so the upload updates it instead of
   * adding a ghost), with what the board's config.json says on top. Else a new lamp for this chip
   * (the demo fills in its Wi-Fi and local broker), or the one being set up.
   */
  private prepareLamp(chip: Chip): void {
    const found = this.found;
    if (found) {
      const { config, deviceId } = found;
      const saved =
        lamps.lamps.find((l) => l.deviceId === deviceId && l.topics.command === config.topics.command) ??
        (this.lamp?.deviceId === deviceId ? this.lamp : undefined);
      const base = saved ?? demoSettings(defaultSettings({ chip, ...(deviceId ? { deviceId } : {}) }));
      this.lamp = { ...settingsFromBoard(config, base), chip };
      return;
    }
    this.lamp ??= demoSettings(defaultSettings({ chip }));
    if (this.lamp.chip !== chip) this.lamp = { ...this.lamp, chip, lamp: defaultSettings({ chip }).lamp };
  }

  private update(s: JourneyState): void {
    if (s.state === 'cancelled') this.cancelledAt = this.state.state === 'uploading' ? this.state.step.state : this.state.state;
    if (s.state !== this.state.state) this.since = performance.now();
    this.state = s;
    const writing = s.state !== 'idle' && isWriting(s);
    this.armUnload(writing);
    setBusy(writing);
    setJourneyStatus({
      running: s.state !== 'idle' && !isFinal(s),
      writing,
      phase: navPhase(s),
      ...('progress' in s && s.progress ? { percent: Math.round((100 * s.progress.done) / Math.max(1, s.progress.total)) } : {}),
    });
    this.notify();
  }

  private armUnload(on: boolean): void {
    if (on === this.unloadArmed) return;
    this.unloadArmed = on;
    if (on) window.addEventListener('beforeunload', this.onBeforeUnload);
    else window.removeEventListener('beforeunload', this.onBeforeUnload);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

/** What the navigation says while the journey runs. */
function navPhase(s: JourneyState): JourneyPhase {
  switch (s.state) {
    case 'backing-up':
    case 'erasing':
    case 'writing':
    case 'verifying':
    case 'resetting':
      return 'flashing';
    case 'uploading':
      return 'uploading';
    case 'booting':
      return 'starting';
    case 'idle':
    case 'online':
    case 'boot-failed':
    case 'failed':
    case 'cancelled':
      return 'none';
    default:
      return 'waiting';
  }
}

/** Hand a file to the person (the backup): a download, since there is no file system here. */
function saveFile(data: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The page's one journey. */
export const installSession = new InstallSession();
