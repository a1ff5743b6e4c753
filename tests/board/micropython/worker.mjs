// One virtual board's MicroPython: the real interpreter (npm @micropython/micropython-webassembly-
// pyscript) in a worker thread of its own, with the REPL as an ESP8266/ESP32 shows it around it.
//
// Plain JavaScript: a worker can't run TypeScript without a loader that costs ~0.6 s per boot, and
// the board boots a fresh worker on every reset (a soft reset is a fresh interpreter).
//
// Blocking calls (sleep, sockets, poll, the UART) wait with Atomics.wait on shared memory while the
// main thread does the real I/O; so the host's event loop keeps running and no CPU is burnt.
// Functions registered with the interpreter must never throw (a throw skips Python's try/except
// and leaks interpreter stack): every hook catches and returns a negative errno instead.

import { workerData, parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { CTL, RX_CAP } from './layout.mjs';
import * as ffs from './flashfs.mjs';

// Workers are started ahead of need, with the interpreter loaded (the slow part is starting a
// thread and loading the interpreter), and told which board they are by their first message.
// The interpreter is instantiated from the module the main thread compiled once.
let memory;
const origInstantiate = WebAssembly.instantiate.bind(WebAssembly);
WebAssembly.instantiate = async (_source, imports) => {
  const instance = await origInstantiate(workerData.wasmModule, imports);
  memory = instance.exports.memory;
  return { instance, module: workerData.wasmModule };
};
const { loadMicroPython } = await import('@micropython/micropython-webassembly-pyscript/micropython.mjs');
// Its callbacks run only once Python runs, after the board's state below exists.
const interpreter = loadMicroPython({
  heapsize: 512 * 1024,
  pystack: 4096,
  linebuffer: false,
  stdout: (b) => outByte(b[0]),
  stderr: (b) => outByte(b[0]),
  // sys.stdin reads the UART, as on a board; null (end of file) if Ctrl-C cut the wait short.
  stdin: () => {
    const c = readRx(-1);
    return c < 0 ? null : c;
  },
});
await interpreter;
const wd = workerData.standby ? await new Promise((resolve) => parentPort.once('message', resolve)) : workerData;
const trace = process.env.NYALA_MPY_TRACE ? (what) => log(`[${wd.boot.kind} boot] ${what} at ${(performance.timeOrigin + performance.now() - wd.timeOrigin).toFixed(1)} ms`) : () => {};
const ctl = new Int32Array(wd.ctl);
const rxRing = new Uint8Array(wd.rx);
const rpcData = new Uint8Array(wd.rpc);
const flash = new Uint8Array(wd.flash, wd.flashOffset, wd.flashLength);
const regionInfo = ffs.fsRegion(wd.chip, wd.flashLength);
const region = regionInfo ? flash.subarray(regionInfo.offset, regionInfo.offset + regionInfo.size) : null;
const totalBlocks = region ? Math.floor(region.length / ffs.BLOCK_SIZE) : 0;
const post = (msg) => parentPort.postMessage(msg);
// The worker's own console is flushed by its event loop, which a waiting worker never runs: logs go
// to the main thread as messages.
const log = (...args) => post({ t: 'log', text: args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ') });

// MicroPython's own errno numbers (py/mperrno.h), which is what a board raises.
const E = { ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, EACCES: 13, EEXIST: 17, ENODEV: 19, ENOTDIR: 20,
  EISDIR: 21, EINVAL: 22, ENOSPC: 28, ENOTEMPTY: 39, ENOTCONN: 107, ETIMEDOUT: 110, EHOSTUNREACH: 113, EINTR: 4 };

const MACHINE = wd.machine ?? (wd.chip === 'esp8266' ? 'ESP module with ESP8266' : 'Generic ESP32 module with ESP32');
// The official v1.27.0 release build; the npm interpreter was built a day later.
const BANNER = `MicroPython v1.27.0 on 2025-12-09; ${MACHINE}`;
const WASM_BANNER_TAIL = '2025-12-10; JS with Emscripten';
const BOARD_BANNER_TAIL = `2025-12-09; ${MACHINE}`;

const heap = () => new Uint8Array(memory.buffer);
trace('started');

// ---------------------------------------------------------------------------------------------
// UART transmit: bytes from the interpreter, "\n" sent as "\r\n" as a board's stdout does.

const TX_FLUSH_AT = 128;
const TX_IN_FLIGHT = 256;
let tx = new Uint8Array(4096);
let txLen = 0;
let lastByte = 0;
let mute = false;
let dropOk = 0;
/** Collects what is sent while set (to see the friendly REPL switch to raw). */
let capture = null;

function push(c) {
  if (txLen === tx.length) {
    const bigger = new Uint8Array(tx.length * 2);
    bigger.set(tx);
    tx = bigger;
  }
  tx[txLen++] = c;
}

function outByte(c) {
  if (mute) return;
  if (dropOk > 0) {
    // Raw-paste runs its code through the raw REPL, whose "OK" a board doesn't send in that mode.
    if ((dropOk === 2 && c === 0x4f) || (dropOk === 1 && c === 0x4b)) {
      dropOk--;
      return;
    }
    dropOk = 0;
  }
  if (c === 10 && lastByte !== 13) push(13);
  push(c);
  lastByte = c;
  // Line by line, so what a board would have sent before code that never returns is sent too.
  if (c === 10 || txLen >= TX_FLUSH_AT) {
    flushTx(false);
    waitTxRoom();
  }
}

function writeStr(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    push(c);
    lastByte = c;
  }
}

function flushTx(final) {
  if (txLen === 0) return;
  let s = Buffer.from(tx.buffer, 0, txLen).toString('latin1');
  if (s.includes(WASM_BANNER_TAIL)) s = s.split(WASM_BANNER_TAIL).join(BOARD_BANNER_TAIL);
  // The board's modules are C on a real board: their frames never show in a traceback.
  if (s.includes('  File "/nyala/')) s = s.replace(/ {2}File "\/nyala\/_nyala_\w+\.py", line \d+, in \S+\r\n/g, '');
  let keep = '';
  if (!final) {
    for (let k = Math.min(WASM_BANNER_TAIL.length - 1, s.length); k > 0; k--) {
      if (s.endsWith(WASM_BANNER_TAIL.slice(0, k))) {
        keep = s.slice(s.length - k);
        s = s.slice(0, s.length - k);
        break;
      }
    }
  }
  txLen = 0;
  for (let i = 0; i < keep.length; i++) push(keep.charCodeAt(i));
  if (s.length === 0) return;
  if (capture !== null) capture += s;
  const bytes = Buffer.from(s, 'latin1');
  Atomics.add(ctl, CTL.TX_PENDING, bytes.length);
  post({ t: 'tx', b: bytes });
}

function waitTxRoom(limit = TX_IN_FLIGHT) {
  if (Atomics.load(ctl, CTL.TX_PENDING) <= limit) return;
  // Waiting for the UART to send: busy, what comes in stays in the ring.
  const idle = Atomics.exchange(ctl, CTL.RX_IDLE, 0);
  for (;;) {
    const e = Atomics.load(ctl, CTL.EVT);
    if (Atomics.load(ctl, CTL.TX_PENDING) <= limit) break;
    pollInterrupt();
    Atomics.wait(ctl, CTL.EVT, e, 200);
  }
  Atomics.store(ctl, CTL.RX_IDLE, idle);
}

function drainTx() {
  flushTx(true);
  const end = Date.now() + 5000;
  while (Atomics.load(ctl, CTL.TX_PENDING) > 0 && Date.now() < end) {
    const e = Atomics.load(ctl, CTL.EVT);
    Atomics.wait(ctl, CTL.EVT, e, 50);
  }
}

function hang() {
  for (;;) Atomics.wait(ctl, CTL.HANG, 0);
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C: the main thread sets INTR when it arrives while Python runs; whichever hook runs next
// schedules a KeyboardInterrupt, which the VM raises at its next check.

let mp;
let Module;
let pyExec = false;

function canInterrupt() {
  return pyExec || Module._mp_hal_get_interrupt_char() === 3;
}

/** Takes a pending Ctrl-C if Python code is running; the caller raises KeyboardInterrupt. */
function takeInterrupt() {
  if (!Module || !canInterrupt()) return false;
  return Atomics.exchange(ctl, CTL.INTR, 0) !== 0 || takeQueuedCtrlC();
}

/**
 * A Ctrl-C that came in behind the input that started this code (Enter, or the raw REPL's
 * Ctrl-D) while this worker had not yet taken that input sits in the receive ring as a byte. A
 * board takes input within microseconds, so its UART interrupt met that Ctrl-C with the code
 * already running and raised KeyboardInterrupt: take it out of the ring as the interrupt it is.
 */
function takeQueuedCtrlC() {
  const head = Atomics.load(ctl, CTL.RX_HEAD);
  const tail = Atomics.load(ctl, CTL.RX_TAIL);
  for (let i = tail; i !== head; i = (i + 1) | 0) {
    if (rxRing[i & (RX_CAP - 1)] !== 3) continue;
    // Only this thread moves the tail: shift what is before the Ctrl-C up by one, drop one.
    for (let j = i; j !== tail; j = (j - 1) | 0) rxRing[j & (RX_CAP - 1)] = rxRing[(j - 1) & (RX_CAP - 1)];
    Atomics.store(ctl, CTL.RX_TAIL, (tail + 1) | 0);
    return true;
  }
  return false;
}

/**
 * Atomics.wait for input: while this thread waits, a board would take every byte at once. Code
 * reading input (input(), sys.stdin) is busy again once it has a byte; the REPL's own loop stays
 * "taking input" (`stayIdle`) until a byte makes it run code (replChar).
 */
function waitInput(e, ms, stayIdle = false) {
  Atomics.store(ctl, CTL.RX_IDLE, 1);
  // Bytes may have come between the caller's last look and now: look again before sleeping.
  if (Atomics.load(ctl, CTL.EVT) === e) Atomics.wait(ctl, CTL.EVT, e, ms);
  if (!stayIdle) Atomics.store(ctl, CTL.RX_IDLE, 0);
}

/** For paths with no Python wrapper (print): the VM raises KeyboardInterrupt at its next check. */
function pollInterrupt() {
  if (!takeInterrupt()) return false;
  Module._mp_sched_keyboard_interrupt();
  return true;
}

/** Waits until the event counter moves or `ms` pass; true if Ctrl-C arrived. */
function waitEvent(e, ms) {
  if (takeInterrupt()) return true;
  Atomics.wait(ctl, CTL.EVT, e, Math.max(0, ms));
  return takeInterrupt();
}

// ---------------------------------------------------------------------------------------------
// Requests to the main thread (sockets, GPIO reads, access points, DNS).

let rpcSeq = 0;
function rpc(msg) {
  flushTx(false);
  const seq = (rpcSeq = (rpcSeq + 1) | 0);
  post({ t: 'rpc', seq, ...msg });
  const end = Date.now() + 30_000;
  for (;;) {
    const cur = Atomics.load(ctl, CTL.RPC_SEQ);
    if (cur === seq) break;
    if (Date.now() > end) return { status: -E.ETIMEDOUT, data: new Uint8Array(0) };
    Atomics.wait(ctl, CTL.RPC_SEQ, cur, 1000);
  }
  const len = Atomics.load(ctl, CTL.RPC_LEN);
  return { status: Atomics.load(ctl, CTL.RPC_STATUS), data: rpcData.slice(0, len) };
}

// ---------------------------------------------------------------------------------------------
// The filesystem in flash.

let fsImage = null; // FsImage once mounted
let fsMounted = false;
const files = new Map();
let nextFd = 3;

function fsCurrent() {
  if (!fsMounted || !region) return null;
  const seq = ffs.imageSeq(region);
  if (fsImage && seq === fsImage.seq) return fsImage;
  const parsed = ffs.parseImage(region);
  if (typeof parsed === 'string') return fsImage; // keep what we had; the next commit rewrites it
  fsImage = parsed;
  return fsImage;
}

let commits = 0;

/** The chip busy writing its flash for `ms` board ms (nothing else runs, as on a board). */
function flashBusy(ms) {
  const t = ms * wd.timeScale;
  if (t > 0) Atomics.wait(ctl, CTL.HANG, 0, t);
}

function commit(image, dataMs = 0) {
  flashBusy(dataMs + ffs.metaCommitMs(++commits));
  image.seq = (image.seq + 1) >>> 0;
  if (Atomics.compareExchange(ctl, CTL.FLASH_LOCK, 0, 1) !== 0) hang(); // power is going off
  try {
    ffs.writeImage(region, image);
  } finally {
    Atomics.store(ctl, CTL.FLASH_LOCK, 0);
    Atomics.notify(ctl, CTL.FLASH_LOCK);
  }
  fsImage = image;
}

function parentOf(p) {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function lookup(img, p) {
  if (p === '/') return { dir: true };
  return img.entries.get(p);
}

function blocksWith(img, path, size) {
  let n = ffs.usedBlocks(img.entries);
  const cur = img.entries.get(path);
  if (cur && !cur.dir) n -= Math.ceil(cur.data.length / ffs.BLOCK_SIZE);
  return n + Math.ceil(size / ffs.BLOCK_SIZE);
}

function withFs(fn) {
  try {
    const img = fsCurrent();
    if (!img) return -E.ENODEV;
    return fn(img);
  } catch (err) {
    log('filesystem hook failed:', err);
    return -E.EIO;
  }
}

const fsHooks = {
  stat: (path) =>
    withFs((img) => {
      const p = ffs.normPath(path);
      const e = lookup(img, p);
      if (!e) return -E.ENOENT;
      return e.dir ? 'd0' : 'f' + e.data.length;
    }),
  listdir: (path) =>
    withFs((img) => {
      const p = ffs.normPath(path);
      const e = lookup(img, p);
      if (!e) return -E.ENOENT;
      if (!e.dir) return -E.ENOTDIR;
      const prefix = p === '/' ? '/' : p + '/';
      const names = [];
      for (const [k, v] of img.entries) {
        if (k.startsWith(prefix) && !k.slice(prefix.length).includes('/')) {
          names.push((v.dir ? 'D' : 'F') + k.slice(prefix.length));
        }
      }
      return names.join('/');
    }),
  mkdir: (path) =>
    withFs((img) => {
      const p = ffs.normPath(path);
      if (lookup(img, p)) return -E.EEXIST;
      const parent = lookup(img, parentOf(p));
      if (!parent) return -E.ENOENT;
      if (!parent.dir) return -E.ENOTDIR;
      if (blocksWith(img, '', 0) + 1 > totalBlocks) return -E.ENOSPC;
      const next = { ...img, entries: new Map(img.entries) };
      next.entries.set(p, { dir: true });
      commit(next);
      return 0;
    }),
  remove: (path, dirOnly) =>
    withFs((img) => {
      const p = ffs.normPath(path);
      const e = lookup(img, p);
      if (!e || p === '/') return -E.ENOENT;
      if (dirOnly && !e.dir) return -E.ENOTDIR;
      if (e.dir) {
        for (const k of img.entries.keys()) if (k.startsWith(p + '/')) return img.kind === 'fat' ? -E.EACCES : -E.ENOTEMPTY;
      }
      const next = { ...img, entries: new Map(img.entries) };
      next.entries.delete(p);
      commit(next);
      return 0;
    }),
  rename: (from, to) =>
    withFs((img) => {
      const a = ffs.normPath(from);
      const b = ffs.normPath(to);
      const src = lookup(img, a);
      if (!src || a === '/') return -E.ENOENT;
      const parent = lookup(img, parentOf(b));
      if (!parent) return -E.ENOENT;
      if (a === b) return 0;
      const dst = lookup(img, b);
      if (dst && dst.dir) {
        for (const k of img.entries.keys()) if (k.startsWith(b + '/')) return -E.ENOTEMPTY;
      }
      const cut = Atomics.load(ctl, CTL.CUT_ON_RENAME) !== 0 && dst !== undefined;
      let cur = img;
      if (dst && img.kind === 'fat') {
        // vfs_fat.c: f_rename refuses an existing target, so MicroPython unlinks it and renames
        // again: two separate writes, not atomic.
        const removed = { ...cur, entries: new Map(cur.entries) };
        removed.entries.delete(b);
        commit(removed);
        cur = removed;
        if (cut) powerCut();
      } else if (cut) {
        // LittleFS commits a rename onto an existing file atomically: power lost before the commit
        // leaves everything as it was.
        powerCut();
      }
      const next = { ...cur, entries: new Map() };
      for (const [k, v] of cur.entries) {
        if (k === a) next.entries.set(b, v);
        else if (k.startsWith(a + '/')) next.entries.set(b + k.slice(a.length), v);
        else if (k !== b) next.entries.set(k, v);
      }
      commit(next);
      return 0;
    }),
  statvfs: () =>
    withFs((img) => {
      const free = Math.max(0, totalBlocks - ffs.usedBlocks(img.entries));
      return [ffs.BLOCK_SIZE, ffs.BLOCK_SIZE, totalBlocks, free, free, 0, 0, 0, 0, 255].join(',');
    }),
  open: (path, mode) =>
    withFs((img) => {
      const p = ffs.normPath(path);
      const e = lookup(img, p);
      const plus = mode.includes('+');
      const kind = mode.includes('w') ? 'w' : mode.includes('a') ? 'a' : mode.includes('x') ? 'x' : 'r';
      if (e && e.dir) return -E.EISDIR;
      if (kind === 'r' && !e) return -E.ENOENT;
      if (kind === 'x' && e) return -E.EEXIST;
      if (!e) {
        const parent = lookup(img, parentOf(p));
        if (!parent) return -E.ENOENT;
        if (!parent.dir) return -E.ENOTDIR;
      }
      const data = kind === 'w' || !e ? new Uint8Array(0) : e.data;
      const file = {
        path: p,
        buf: new Uint8Array(Math.max(256, data.length)),
        size: data.length,
        pos: kind === 'a' ? data.length : 0,
        readable: kind === 'r' || plus,
        writable: kind !== 'r' || plus,
        append: kind === 'a',
        dirty: false,
        /** bytes written since the last commit, and data blocks already erased for this file */
        writtenBytes: 0,
        blocksErased: 0,
      };
      file.buf.set(data);
      // Creating a file is committed at once by both filesystems; FAT also truncates at once
      // (f_open with FA_CREATE_ALWAYS), LittleFS only when the file is closed.
      if (!e || (kind === 'w' && img.kind === 'fat')) {
        const next = { ...img, entries: new Map(img.entries) };
        next.entries.set(p, { dir: false, data: new Uint8Array(0) });
        commit(next);
      }
      const fd = nextFd++;
      files.set(fd, file);
      return fd;
    }),
  read: (fd, addr, n) => {
    try {
      const f = files.get(fd);
      if (!f || !f.readable) return -E.EBADF;
      const k = Math.max(0, Math.min(n, f.size - f.pos));
      heap().set(f.buf.subarray(f.pos, f.pos + k), addr);
      f.pos += k;
      return k;
    } catch (err) {
      log('read failed:', err);
      return -E.EIO;
    }
  },
  write: (fd, addr, n) =>
    withFs((img) => {
      const f = files.get(fd);
      if (!f || !f.writable) return -E.EBADF;
      if (f.append) f.pos = f.size;
      const end = f.pos + n;
      if (end > f.size && blocksWith(img, f.path, end) > totalBlocks) return -E.ENOSPC;
      if (end > f.buf.length) {
        const bigger = new Uint8Array(Math.max(end, f.buf.length * 2));
        bigger.set(f.buf.subarray(0, f.size));
        f.buf = bigger;
      }
      f.buf.set(heap().subarray(addr, addr + n), f.pos);
      f.pos = end;
      if (end > f.size) f.size = end;
      f.dirty = true;
      f.writtenBytes += n;
      return n;
    }),
  seek: (fd, off, whence) => {
    const f = files.get(fd);
    if (!f) return -E.EBADF;
    const base = whence === 1 ? f.pos : whence === 2 ? f.size : 0;
    f.pos = Math.max(0, base + off);
    return f.pos;
  },
  flush: (fd, close) =>
    withFs((img) => {
      const f = files.get(fd);
      if (!f) return close ? 0 : -E.EBADF;
      if (f.dirty) {
        const next = { ...img, entries: new Map(img.entries) };
        next.entries.set(f.path, { dir: false, data: f.buf.slice(0, f.size) });
        // The data written since the last commit reaches the flash (LittleFS writes a file's
        // blocks as they fill, then commits its metadata; the cost is the same here at once).
        const bytes = f.writtenBytes;
        const blocks = Math.ceil(f.size / ffs.BLOCK_SIZE) - f.blocksErased;
        f.writtenBytes = 0;
        f.blocksErased += Math.max(0, blocks);
        commit(next, ffs.dataWriteMs(bytes, Math.max(0, blocks)));
        f.dirty = false;
      }
      if (close) files.delete(fd);
      return 0;
    }),
};

function powerCut() {
  drainTx();
  post({ t: 'powercut' });
  hang();
}

function fsReadText(path) {
  const img = fsCurrent();
  const e = img && img.entries.get(ffs.normPath(path));
  if (!e || e.dir) return null;
  return new TextDecoder().decode(e.data);
}

// ---------------------------------------------------------------------------------------------
// Hooks for the board's Python modules.

function safe(fn, fallback = -E.EIO) {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      log('hook failed:', err);
      return fallback;
    }
  };
}

const startedAt = Date.now();

/** Next byte from the UART for running code: waits up to `ms` (-1 forever); -1 timeout, -4 Ctrl-C. */
function readRx(ms) {
  flushTx(false);
  const end = ms < 0 ? Infinity : Date.now() + ms;
  for (;;) {
    const e = Atomics.load(ctl, CTL.EVT);
    // Running code: a Ctrl-C interrupts it even with typed bytes still unread before it.
    if (takeInterrupt()) return -E.EINTR;
    const head = Atomics.load(ctl, CTL.RX_HEAD);
    const tail = Atomics.load(ctl, CTL.RX_TAIL);
    if (head !== tail) {
      const c = rxRing[tail & (RX_CAP - 1)];
      Atomics.store(ctl, CTL.RX_TAIL, (tail + 1) | 0);
      return c;
    }
    const left = end - Date.now();
    if (left <= 0) return -1;
    waitInput(e, Math.min(left, 1000));
  }
}

const hooks = {
  fs_stat: fsHooks.stat,
  fs_listdir: fsHooks.listdir,
  fs_mkdir: fsHooks.mkdir,
  fs_remove: (p) => fsHooks.remove(p, false),
  fs_rmdir: (p) => fsHooks.remove(p, true),
  fs_rename: fsHooks.rename,
  fs_statvfs: fsHooks.statvfs,
  fs_open: fsHooks.open,
  fs_read: fsHooks.read,
  fs_write: fsHooks.write,
  fs_seek: safe(fsHooks.seek),
  fs_flush: (fd) => fsHooks.flush(fd, false),
  fs_close: (fd) => fsHooks.flush(fd, true),

  /** Sleeps for real without blocking the host; 1 if Ctrl-C cut it short. */
  sleep_ms: safe((ms) => {
    flushTx(false);
    const end = Date.now() + Math.max(0, ms);
    for (;;) {
      const e = Atomics.load(ctl, CTL.EVT);
      if (takeInterrupt()) return 1;
      const left = end - Date.now();
      if (left <= 0) return 0;
      Atomics.wait(ctl, CTL.EVT, e, left);
    }
  }, 0),
  /** Lets a pending Ctrl-C through (print and pin calls go through here, as on a board). */
  check: safe(() => (takeInterrupt() ? 1 : 0), 0),
  millis: safe(() => Date.now() - startedAt, 0),
  /** One byte typed on the UART (for input()); -4 if Ctrl-C. */
  stdin_byte: safe((ms) => readRx(ms), -1),

  gpio_set: safe((pin, level) => {
    flushTx(false);
    post({ t: 'gpio', pin, level: level ? 1 : 0 });
    return takeInterrupt() ? 1 : 0;
  }),
  gpio_get: safe((pin) => rpc({ op: 'gpio_get', pin }).status),
  reset: safe(() => {
    drainTx();
    post({ t: 'reset' });
    hang();
    return 0;
  }),
  aps: safe(() => {
    const r = rpc({ op: 'aps' });
    return new TextDecoder().decode(r.data);
  }, '[]'),
  config: () =>
    JSON.stringify({
      chip: wd.chip,
      machine: MACHINE,
      mac: Array.from(wd.mac),
      flashSize: wd.flashLength,
      timeScale: wd.timeScale,
      resetCause: wd.boot.cause,
      fs: fsMounted,
    }),

  resolve: safe((host) => {
    const r = rpc({ op: 'resolve', host });
    return r.status < 0 ? r.status : new TextDecoder().decode(r.data);
  }),
  sock_new: safe(() => rpc({ op: 'sock_new' }).status),
  sock_connect: safe((id, ip, port, timeoutMs) => {
    const r = rpc({ op: 'sock_connect', id, ip, port });
    if (r.status < 0) return r.status;
    const end = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const e = Atomics.load(ctl, CTL.EVT);
      const st = rpc({ op: 'sock_state', id }).status;
      if (st !== 0) return st > 0 ? 0 : st;
      if (timeoutMs === 0) return -115; // EINPROGRESS
      const left = end - Date.now();
      if (left <= 0) return -E.ETIMEDOUT;
      if (waitEvent(e, Math.min(left, 1000))) return -E.EINTR;
    }
  }),
  sock_send: safe((id, addr, n) => rpc({ op: 'sock_send', id, b: heap().slice(addr, addr + n) }).status),
  sock_recv: safe((id, addr, n, timeoutMs) => {
    const end = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const e = Atomics.load(ctl, CTL.EVT);
      const r = rpc({ op: 'sock_recv', id, max: n });
      if (r.status > 0) {
        heap().set(r.data.subarray(0, r.status), addr);
        return r.status;
      }
      if (r.status !== -E.EAGAIN) return r.status;
      if (timeoutMs === 0) return -E.EAGAIN;
      const left = end - Date.now();
      if (left <= 0) return -E.ETIMEDOUT;
      if (waitEvent(e, Math.min(left, 1000))) return -E.EINTR;
    }
  }),
  sock_close: safe((id) => rpc({ op: 'sock_close', id }).status),
  /** ids and wanted events as "id:ev,id:ev"; answers "id:rev,..." for the ready ones. */
  sock_poll: safe((spec, timeoutMs) => {
    const end = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const e = Atomics.load(ctl, CTL.EVT);
      const r = rpc({ op: 'sock_poll', spec });
      const ready = new TextDecoder().decode(r.data);
      if (ready.length > 0 || timeoutMs === 0) return ready;
      const left = end - Date.now();
      if (left <= 0) return '';
      if (waitEvent(e, Math.min(left, 1000))) return -E.EINTR;
    }
  }, ''),
};

// ---------------------------------------------------------------------------------------------
// Boot.

mp = await interpreter;
Module = mp._module;

const pyDir = new URL('./py/', import.meta.url);
mp.FS.mkdir('/nyala');
for (const name of ['_nyala_boot', '_nyala_fs', '_nyala_machine', '_nyala_network', '_nyala_socket', '_nyala_select', '_nyala_time', '_nyala_misc']) {
  mp.FS.writeFile(`/nyala/${name}.py`, readFileSync(new URL(`${name}.py`, pyDir), 'utf8'));
}
mp.registerJsModule('_nyala', hooks);

let fsState = region ? ffs.parseImage(region) : null;
if (fsState === 'empty') {
  // inisetup.setup(): a fresh filesystem with the port's boot.py.
  writeStr('Performing initial setup\r\n');
  const img = { seq: 0, kind: wd.fsKind, entries: new Map() };
  img.entries.set('/boot.py', { dir: false, data: new TextEncoder().encode(ffs.defaultBootPy(wd.chip)) });
  commit(img);
  fsState = img;
}
fsMounted = typeof fsState === 'object' && fsState !== null;
fsImage = fsMounted ? fsState : null;
try {
  mp.runPython('import sys\nsys.path.insert(0, "/nyala")\nimport _nyala_boot\n_nyala_boot.setup()\n');
  // A second top-level call: the interpreter only collects garbage between them.
  mp.runPython('_nyala_boot.baseline()\ndel _nyala_boot\nimport gc\ndel gc, sys\n');
} catch (err) {
  log('board modules failed to load:', err);
}
flushTx(true);
trace('board modules ready');

if (fsState === 'corrupt') {
  // inisetup.fs_corrupted(): the message every 3 s until Ctrl-C.
  pyExec = true;
  Atomics.store(ctl, CTL.RUNNING, 1);
  for (;;) {
    writeStr(
      wd.chip === 'esp8266'
        ? `The filesystem starting at sector ${regionInfo.offset / 4096} with size ${totalBlocks} sectors looks corrupt.\r\n` +
            'You may want to make a flash snapshot and try to recover it. Otherwise,\r\n' +
            'format it with vfs.VfsLfs2.mkfs(bdev), or completely erase the flash and\r\nreprogram MicroPython.\r\n\r\n'
        : 'The filesystem appears to be corrupted. If you had important data there, you\r\n' +
            'may want to make a flash snapshot to try to recover it. Otherwise, perform\r\n' +
            'factory reprogramming of MicroPython firmware (completely erase flash, followed\r\n' +
            'by firmware programming).\r\n\r\n',
    );
    flushTx(true);
    const end = Date.now() + 3000;
    let stop = false;
    while (!stop && Date.now() < end) {
      const e = Atomics.load(ctl, CTL.EVT);
      if (Atomics.exchange(ctl, CTL.INTR, 0)) stop = true;
      else Atomics.wait(ctl, CTL.EVT, e, end - Date.now());
    }
    if (stop) break;
  }
  Atomics.store(ctl, CTL.RUNNING, 0);
  pyExec = false;
  writeStr('Traceback (most recent call last):\r\n  File "_boot.py", line 11, in <module>\r\n  File "inisetup.py", line 52, in setup\r\nKeyboardInterrupt: \r\n');
}

let rawMode = !!wd.boot.raw;

/** Runs a file as pyexec_file() does; 'ok' | 'error' | 'exit'. */
function runFile(name) {
  const src = fsReadText(name);
  if (src === null) return 'ok';
  pyExec = true;
  Atomics.store(ctl, CTL.RUNNING, 1);
  try {
    mp.runPython(src);
    return 'ok';
  } catch (err) {
    if (err && err.name === 'PythonError') {
      if (err.type === 'SystemExit') return 'exit';
      for (const c of Buffer.from(String(err.message).split('"<stdin>"').join(`"${name}"`), 'utf8')) outByte(c);
      return 'error';
    }
    log('running', name, 'failed:', err);
    return 'error';
  } finally {
    pyExec = false;
    Atomics.store(ctl, CTL.RUNNING, 0);
    Atomics.store(ctl, CTL.INTR, 0);
    flushTx(true);
  }
}

function softReset() {
  Atomics.store(ctl, CTL.RX_IDLE, 0);
  flushTx(true);
  writeStr('MPY: soft reboot\r\n');
  drainTx();
  post({ t: 'soft', raw: rawMode });
  hang();
}

const bootRet = runFile('boot.py');
if (bootRet === 'exit') softReset();
if (!rawMode && bootRet === 'ok') {
  if (runFile('main.py') === 'exit') softReset();
}

mute = true;
mp.replInit();
if (rawMode) mp.replProcessChar(1);
mute = false;
if (rawMode) {
  writeStr('raw REPL; CTRL-B to exit\r\n>');
} else {
  if (wd.chip === 'esp8266') writeStr(wd.boot.kind === 'soft' ? '\r\n' : '\r\n\r\n');
  writeStr(`${BANNER}\r\nType "help()" for more information.\r\n>>> `);
}
flushTx(true);
trace('REPL ready');
post({ t: 'ready' });

// ---------------------------------------------------------------------------------------------
// The REPL. The interpreter's own event-driven REPL (the one the ESP8266 port uses) handles the
// friendly and raw REPLs byte for byte; the board adds raw-paste (the interpreter's stdin isn't
// wired) and soft reset, and tracks the raw REPL's line to see a raw-paste request coming.

const PASTE_WINDOW = 128; // MICROPY_REPL_STDIN_BUFFER_MAX (256) / 2, as pyexec.c offers it
let rawLen = 0;
let raw0 = 0;
let raw1 = 0;
let paste = null; // { chunks: number[], remain: number }

function replChar(c) {
  // Only Enter (friendly REPL) and Ctrl-D (raw REPL, paste mode, soft reset) run code. While the
  // REPL takes any other byte a board keeps up with the line (so the ring is not its limit here,
  // and a Ctrl-C is a byte in order); while code runs, Ctrl-C is the UART interrupt and the ring
  // fills.
  const runs = c === 4 || c === 10 || c === 13;
  Atomics.store(ctl, CTL.RUNNING, runs ? 1 : 0);
  if (runs) Atomics.store(ctl, CTL.RX_IDLE, 0);
  let ret;
  try {
    ret = mp.replProcessChar(c);
  } catch (err) {
    log('REPL failed:', err);
    ret = 0;
  }
  Atomics.store(ctl, CTL.RUNNING, 0);
  Atomics.store(ctl, CTL.RX_IDLE, 1);
  flushTx(true);
  if (ret & 0x100) softReset(); // PYEXEC_FORCED_EXIT: Ctrl-D on an empty line, or SystemExit
  return ret;
}

function feedPaste(c) {
  if (c === 4 || c === 3) {
    writeStr('\x04'); // end of data acknowledged
    const src = paste.chunks;
    paste = null;
    if (c === 3) {
      writeStr('\x04KeyboardInterrupt: \r\n\x04>');
      flushTx(true);
      return;
    }
    flushTx(true);
    mute = true;
    for (const b of src) mp.replProcessChar(b);
    mute = false;
    dropOk = 2;
    replChar(4);
    dropOk = 0;
    return;
  }
  paste.chunks.push(c);
  if (--paste.remain === 0) {
    paste.remain = PASTE_WINDOW;
    writeStr('\x01');
    flushTx(true);
  }
}

function feed(c) {
  if (paste) {
    feedPaste(c);
    return;
  }
  if (!rawMode) {
    if (c !== 1) {
      replChar(c);
      return;
    }
    flushTx(true);
    capture = '';
    replChar(c);
    if (capture.includes('raw REPL; CTRL-B to exit')) {
      rawMode = true;
      rawLen = 0;
    }
    capture = null;
    return;
  }
  if (c === 1 && rawLen === 2 && raw0 === 5) {
    // Raw-paste request: Ctrl-E, a command byte, Ctrl-A.
    mute = true;
    mp.replProcessChar(3); // clears the interpreter's raw line, silently
    mute = false;
    rawLen = 0;
    if (raw1 === 0x41 && wd.rawPaste) {
      writeStr('R\x01');
      writeStr(String.fromCharCode(PASTE_WINDOW & 0xff, PASTE_WINDOW >> 8, 1));
      paste = { chunks: [], remain: PASTE_WINDOW };
    } else {
      writeStr('R\x00>');
    }
    flushTx(true);
    return;
  }
  if (c === 2) {
    rawMode = false;
  } else if (c === 1 || c === 3 || c === 4) {
    rawLen = 0;
  } else {
    if (rawLen === 0) raw0 = c;
    else if (rawLen === 1) raw1 = c;
    rawLen++;
  }
  replChar(c);
}

for (;;) {
  const e = Atomics.load(ctl, CTL.EVT);
  if (Atomics.exchange(ctl, CTL.INTR, 0)) feed(3);
  for (;;) {
    const head = Atomics.load(ctl, CTL.RX_HEAD);
    const tail = Atomics.load(ctl, CTL.RX_TAIL);
    if (head === tail) break;
    const c = rxRing[tail & (RX_CAP - 1)];
    Atomics.store(ctl, CTL.RX_TAIL, (tail + 1) | 0);
    feed(c);
  }
  flushTx(true);
  waitInput(e, 1000, true);
}
