// The install journey, from a port to a lamp online, as one routine: take the port → find out
// what is on it (MicroPython answering, or the ROM bootloader) → the image, checked before
// anything is erased → optional backup → erase / write / verify → reset (and, on Espressif's
// native USB, find the port again) → upload the lamp program → follow its boot log → online, or a
// coded error. No DOM: it emits typed states, and the person's choices come in as promises the
// view answers (`InstallChoices`). One AbortSignal cancels every phase, detection included, and
// the port is held in one try/finally, whatever happens.
import type { ChipFamily } from './chips.ts';
import { DeviceError, describeError } from './device-error.ts';
import { chipFromMicroPython, needsPortAgainAfterReset } from './firmware.ts';
import { FlashError, FlashSession, type DetectedBoard, type FlashEvent } from './flasher.ts';
import { BOOT_OFFSET, type ImageProblem } from './image.ts';
import type { BootHint, LampLog } from './lamp-log.ts';
import { PortError, type BoardPort, type PortLease, type SerialPortInfo } from './port.ts';
import type { Progress } from './progress.ts';
import {
  detectMicroPython,
  provisionLamp,
  scanWifi,
  UploadError,
  type MicroPythonInfo,
  type ProgramFile,
  type ProvisionEvent,
  type WifiNetwork,
} from './provision.ts';

/** Where in the journey something happened (for "cancelled during …" and error help). */
export type InstallStep = 'port' | 'detect' | 'flash' | 'reconnect' | 'settings' | 'upload' | 'boot';

export type InstallErrorCode =
  /** another tab or window of the app is writing to a board (Web Locks) */
  | 'other-tab'
  /** the native USB port did not come back after the reset, and none was chosen */
  | 'port-lost-after-reset'
  /** the browser has no way to reach a serial port */
  | 'unsupported'
  /** the person cancelled while the routine waited for them */
  | 'cancelled';

/** The routine's own refusals; everything else is the error of the part that failed. */
export class InstallError extends DeviceError<InstallErrorCode> {
  constructor(code: InstallErrorCode, detail = '') {
    super('InstallError', code, detail);
  }
}

/** What was on the port when MicroPython did not answer (said, not swallowed). */
export interface NoMicroPython {
  code: string;
  detail: string;
}

/** Lines the board's lamp program printed so far, and what the upload skipped. */
export interface UploadSoFar {
  skipped: readonly string[];
  retried: readonly string[];
  logs: readonly LampLog[];
}

export type InstallState =
  | { state: 'choosing-port' }
  | { state: 'detecting' }
  /** MicroPython answers: waiting for "just upload" or "flash anyway" */
  | { state: 'micropython'; info: MicroPythonInfo }
  /** resetting into the ROM bootloader, loading the stub, settling the baud */
  | { state: 'connecting'; noMicroPython?: NoMicroPython }
  /** in the bootloader: waiting for the person's firmware */
  | { state: 'choosing-firmware'; board: DetectedBoard }
  /** the chosen image is fetched and checked against the board */
  | { state: 'checking-image'; board: DetectedBoard }
  /** the last word before anything is erased */
  | { state: 'confirming'; board: DetectedBoard; eraseAll: boolean; end: number }
  | { state: 'backing-up'; board: DetectedBoard; progress: Progress }
  | { state: 'erasing'; board: DetectedBoard }
  | { state: 'writing'; board: DetectedBoard; progress: Progress }
  | { state: 'verifying'; board: DetectedBoard }
  | { state: 'resetting'; board: DetectedBoard }
  /** native USB: the port went away with the reset; waiting for it to come back */
  | { state: 'waiting-for-port'; info: SerialPortInfo }
  /** it did not come back by itself: the person chooses it again */
  | { state: 'choose-port-again'; info: SerialPortInfo }
  /** waiting for the lamp program (the settings form) */
  | { state: 'settings'; chip: ChipFamily; flashed?: { seconds: number; backup: boolean } }
  | { state: 'uploading'; step: ProvisionEvent; progress?: Progress; so: UploadSoFar }
  | { state: 'booting'; so: UploadSoFar }
  | { state: 'online'; ip: string | undefined; so: UploadSoFar }
  /** uploaded, but the lamp program did not get online: what to fix */
  | { state: 'boot-failed'; hint: BootHint; log?: LampLog; so: UploadSoFar }
  | { state: 'failed'; during: InstallStep; error: DeviceError; problem?: ImageProblem }
  | { state: 'cancelled'; during: InstallStep };

export type InstallStateName = InstallState['state'];

/** States in which the board's flash or files are being changed: a reload now would break it. */
export function isWriting(s: InstallState): boolean {
  return s.state === 'backing-up' || s.state === 'erasing' || s.state === 'writing' || s.state === 'verifying' || s.state === 'uploading';
}

/** States in which the routine has ended (a new run may start). */
export function isFinal(s: InstallState): boolean {
  return s.state === 'online' || s.state === 'boot-failed' || s.state === 'failed' || s.state === 'cancelled';
}

export interface FirmwareChoice {
  /** the image's bytes (a bundled image is downloaded and checked against its pin in here) */
  image(): Promise<Uint8Array> | Uint8Array;
  /** erase all of the flash first (default), or only what the image covers */
  eraseAll: boolean;
  /** read the whole flash first and hand it to `saveBackup` */
  backup: boolean;
}

/** The person's choices, asked when the journey needs them; each may reject to cancel. */
export interface InstallChoices {
  /** MicroPython answers on the port: upload the lamp program only, or flash anyway */
  onMicroPython(info: MicroPythonInfo): Promise<'upload' | 'flash'>;
  /** The board is in its bootloader: which image, and how. */
  chooseFirmware(board: DetectedBoard): Promise<FirmwareChoice>;
  /** The image fits: erase now? false goes back to choosing. */
  confirmErase(what: { board: DetectedBoard; eraseAll: boolean; end: number }): Promise<boolean>;
  saveBackup?(data: Uint8Array, board: DetectedBoard): void | Promise<void>;
  /** MicroPython is on the board: the lamp program to upload (the settings); scanWifi asks the board. */
  lampProgram(ctx: { chip: ChipFamily; scanWifi: () => Promise<WifiNetwork[]> }): Promise<readonly ProgramFile[]>;
}

/** Where ports come from: ui/ implements it with Web Serial, tests with a list of their own. */
export interface PortSource {
  /** the port to start from: the one connected, or one the person chooses */
  take(): Promise<BoardPort>;
  /**
   * After a reset, a native-USB board's port is a new one with the same USB ids. Resolves with it
   * once it is there and this page may open it, or undefined when it does not come in time.
   */
  reappeared(info: SerialPortInfo, signal: AbortSignal): Promise<BoardPort | undefined>;
  /** The person chooses the port again (the chooser says why: the board restarted). */
  chooseAgain(info: SerialPortInfo): Promise<BoardPort>;
}

/** One tab or window writes to a board at a time. `acquire` refuses with InstallError('other-tab'). */
export interface WriteGuard {
  acquire(): Promise<() => void>;
}

export interface InstallOptions {
  ports: PortSource;
  choices: InstallChoices;
  signal?: AbortSignal;
  onState?: (s: InstallState) => void;
  /** esptool-js's own lines and the board's bytes, for "Details" */
  onLog?: (line: string) => void;
  guard?: WriteGuard;
  /** pin one baud instead of the fastest the link holds */
  baud?: number;
  /** an upload again (after a failed one): these files, straight away, when MicroPython answers */
  upload?: readonly ProgramFile[];
  /** tuning, for tests and slow links */
  detectTimeoutMs?: number;
  attempts?: number;
  stallTimeoutMs?: number;
  bootTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export type InstallResult = Extract<InstallState, { state: 'online' | 'boot-failed' | 'failed' | 'cancelled' }>;

/**
 * The whole journey. Never throws: it ends in one of the final states (also emitted), with the
 * port given back closed.
 */
export async function runInstall(options: InstallOptions): Promise<InstallResult> {
  const { ports, choices } = options;
  const cancel = options.signal;
  // Everything below stops on the person's Cancel, and as soon as the board's port goes away
  // (a library waiting for bytes would otherwise find out only at its own timeout).
  const work = new AbortController();
  const signal = work.signal;
  const stop = () => work.abort();
  cancel?.addEventListener('abort', stop, { once: true });
  if (cancel?.aborted) stop();
  let gone = false;
  const onGone = () => {
    gone = true;
    stop();
  };
  const emit = (s: InstallState): void => options.onState?.(s);
  let step: InstallStep = 'port';
  let lease: PortLease | undefined;
  let board: BoardPort | undefined;
  const hold = (b: BoardPort): PortLease => {
    const l = b.take('flasher');
    b.raw.addEventListener?.('disconnect', onGone);
    return {
      port: l.port,
      release: async () => {
        b.raw.removeEventListener?.('disconnect', onGone);
        await l.release();
      },
    };
  };
  const so: { skipped: string[]; retried: string[]; logs: LampLog[] } = { skipped: [], retried: [], logs: [] };
  const finish = (r: InstallResult): InstallResult => {
    emit(r);
    return r;
  };
  try {
    emit({ state: 'choosing-port' });
    board = await ask(signal, ports.take());
    lease = hold(board);

    step = 'detect';
    emit({ state: 'detecting' });
    const found = await detect(lease, signal, options.detectTimeoutMs ?? 3000);
    let chip: ChipFamily | undefined;
    let flashed: { seconds: number; backup: boolean } | undefined;
    if ('info' in found) {
      if (!options.upload) emit({ state: 'micropython', info: found.info });
      const want = options.upload ? 'upload' : await ask(signal, choices.onMicroPython(found.info));
      if (want === 'upload') chip = chipFromMicroPython(found.info.platform, found.info.machine);
    }

    if (!chip) {
      step = 'flash';
      emit({ state: 'connecting', ...('none' in found ? { noMicroPython: found.none } : {}) });
      // Espressif's native USB goes away with the reset into the new firmware: that is expected,
      // not an unplug (the port is found again below).
      const renumerates = board;
      const done = await flash(lease, options, signal, emit, () => {
        if (needsPortAgainAfterReset(renumerates.info)) renumerates.raw.removeEventListener?.('disconnect', onGone);
      });
      chip = done.chip;
      flashed = { seconds: done.seconds, backup: done.backup };
      if (needsPortAgainAfterReset(board.info)) {
        step = 'reconnect';
        const info = board.info;
        await lease.release();
        lease = undefined;
        emit({ state: 'waiting-for-port', info });
        let again = await ask(signal, ports.reappeared(info, signal));
        if (!again) {
          emit({ state: 'choose-port-again', info });
          again = await ask(signal, ports.chooseAgain(info));
        }
        board = again;
        lease = hold(board);
      }
    }

    step = 'settings';
    const files = options.upload ?? (await (async () => {
      emit({ state: 'settings', chip, ...(flashed ? { flashed } : {}) });
      const held = lease!;
      return ask(signal, choices.lampProgram({ chip, scanWifi: () => scanWifi(held.port, { signal }) }));
    })());

    step = 'upload';
    emit({ state: 'uploading', step: { state: 'connecting' }, so: snapshot(so) });
    const unlock = await writing(options.guard);
    let boot;
    try {
      const result = await provisionLamp(lease.port, files, {
        signal,
        throughErrors: false,
        ...(options.bootTimeoutMs ? { timeoutMs: options.bootTimeoutMs } : {}),
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        onEvent: (e) => {
          if (e.state === 'plan') so.skipped = e.files.filter((f) => f.action === 'skip').map((f) => f.name);
          if (e.state === 'retrying') so.retried.push(e.file);
          if (e.state === 'restarting') {
            // The files are in place: what follows only reads the board's log.
            unlock();
            step = 'boot';
          }
          if (e.state === 'log') so.logs.push(e.log);
          if (step === 'boot') {
            if (e.state === 'restarting' || e.state === 'log') emit({ state: 'booting', so: snapshot(so) });
          } else if (e.state !== 'error') {
            emit({ state: 'uploading', step: e, ...('progress' in e ? { progress: e.progress } : {}), so: snapshot(so) });
          }
        },
      });
      boot = result.boot;
    } finally {
      unlock();
    }
    if (!boot) throw new UploadError('protocol', 'no boot result');
    return finish(
      boot.online
        ? { state: 'online', ip: boot.ip, so: snapshot(so) }
        : { state: 'boot-failed', hint: boot.hint, ...(boot.log ? { log: boot.log } : {}), so: snapshot(so) },
    );
  } catch (err) {
    if (cancel?.aborted || (!gone && err instanceof DeviceError && err.code === 'cancelled')) return finish({ state: 'cancelled', during: step });
    const error = gone ? unplugged(step, err) : err instanceof DeviceError ? err : new UploadError('protocol', describeError(err));
    const problem = err instanceof FlashError ? err.problem : undefined;
    return finish({ state: 'failed', during: step, error, ...(problem ? { problem } : {}) });
  } finally {
    cancel?.removeEventListener('abort', stop);
    await lease?.release();
  }
}

/** The port went away: whatever the part made of it (a timeout, a closed stream), it was unplugged. */
function unplugged(step: InstallStep, err: unknown): DeviceError {
  const detail = describeError(err);
  if (step === 'flash') return new FlashError('unplugged', detail);
  if (step === 'upload' || step === 'boot' || step === 'settings') return new UploadError('unplugged', detail);
  return new PortError('unplugged', detail);
}

/** MicroPython's answer, or why there was none (the bootloader is tried next). */
async function detect(lease: PortLease, signal: AbortSignal, timeoutMs: number): Promise<{ info: MicroPythonInfo } | { none: NoMicroPython }> {
  try {
    const info = await detectMicroPython(lease.port, { signal, timeoutMs });
    return info ? { info } : { none: { code: 'no-repl', detail: '' } };
  } catch (err) {
    // Something answered, but not as MicroPython does (another program, the ROM's boot noise):
    // the bootloader may still be there. A port that is gone, busy or cancelled ends it here.
    if (err instanceof UploadError && (err.code === 'no-repl' || err.code === 'timeout' || err.code === 'protocol' || err.code === 'board-error')) {
      return { none: { code: err.code, detail: err.detail } };
    }
    throw err;
  }
}

interface Flashed {
  chip: ChipFamily;
  seconds: number;
  backup: boolean;
}

async function flash(lease: PortLease, options: InstallOptions, signal: AbortSignal, emit: (s: InstallState) => void, beforeReset: () => void): Promise<Flashed> {
  const { choices } = options;
  let session: FlashSession | undefined;
  let written = false;
  try {
    session = await FlashSession.connect(lease.port, {
      signal,
      ...(options.baud ? { baud: options.baud } : {}),
      ...(options.attempts ? { attempts: options.attempts } : {}),
      ...(options.stallTimeoutMs ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
    const board = session.board;
    let choice: FirmwareChoice;
    let image: Uint8Array;
    for (;;) {
      emit({ state: 'choosing-firmware', board });
      choice = await ask(signal, choices.chooseFirmware(board));
      emit({ state: 'checking-image', board });
      image = await ask(signal, Promise.resolve(choice.image()));
      // Refused before anything is asked, let alone erased.
      const problem = session.check(image);
      if (problem) throw new FlashError('image', problem.code, problem);
      const what = { board, eraseAll: choice.eraseAll, end: choice.eraseAll ? board.flashSize : BOOT_OFFSET[board.chip] + image.length };
      emit({ state: 'confirming', ...what });
      if (await ask(signal, choices.confirmErase(what))) break;
    }
    const unlock = await writing(options.guard);
    const started = performance.now();
    try {
      session.listen((e) => emitFlash(e, board, emit), signal);
      if (choice.backup) {
        const data = await session.backup();
        await choices.saveBackup?.(data, board);
      }
      await session.write(image, { eraseAll: choice.eraseAll });
      written = true;
    } finally {
      unlock();
    }
    emit({ state: 'resetting', board });
    return { chip: board.chip, seconds: (performance.now() - started) / 1000, backup: choice.backup };
  } finally {
    // Reset into the new firmware only when it was written; otherwise leave the board as it is.
    if (written) beforeReset();
    await session?.close({ reset: written });
  }
}

function emitFlash(e: FlashEvent, board: DetectedBoard, emit: (s: InstallState) => void): void {
  switch (e.state) {
    case 'reading':
      return emit({ state: 'backing-up', board, progress: e.progress });
    case 'erasing':
      return emit({ state: 'erasing', board });
    case 'writing':
      return emit({ state: 'writing', board, progress: e.progress });
    case 'verifying':
      return emit({ state: 'verifying', board });
    case 'connecting':
    case 'detected':
    case 'done':
    case 'error':
      return;
  }
}

async function writing(guard: WriteGuard | undefined): Promise<() => void> {
  if (!guard) return () => undefined;
  const release = await guard.acquire();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

/** The person's answer, or "cancelled" as soon as the signal says so. */
function ask<T>(signal: AbortSignal, answer: Promise<T>): Promise<T> {
  if (signal.aborted) {
    answer.catch(() => undefined);
    return Promise.reject(new InstallError('cancelled'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InstallError('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function snapshot(so: { skipped: string[]; retried: string[]; logs: LampLog[] }): UploadSoFar {
  return { skipped: [...so.skipped], retried: [...so.retried], logs: [...so.logs] };
}
