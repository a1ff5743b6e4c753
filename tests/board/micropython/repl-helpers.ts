// Host-side REPL steps for the tests, written from MicroPython's docs (docs/reference/repl.rst):
// enter the raw REPL, run code and split its stdout from its traceback, raw-paste with flow control.

export interface Serialish {
  send(data: string | Uint8Array): void;
  /** Everything received so far (latin1). */
  readonly text: string;
  /** Resolves when more output arrives or the time is up. */
  nextOutput(timeoutMs: number): Promise<void>;
}

/** Interrupts whatever runs and enters the raw REPL; returns the offset of the output after it. */
export async function enterRaw(b: Serialish): Promise<number> {
  const from = b.text.length;
  b.send('\r\x03\x03\x01');
  await waitAfter(b, from, 'raw REPL; CTRL-B to exit\r\n>');
  return b.text.length;
}

/** Waits until `what` appears after offset `from`; returns the text after `from`. */
export async function waitAfter(
  b: Serialish,
  from: number,
  what: string | RegExp | ((s: string) => boolean),
  timeoutMs = 10_000,
): Promise<string> {
  const test = (s: string): boolean =>
    typeof what === 'string' ? s.includes(what) : typeof what === 'function' ? what(s) : what.test(s);
  const end = Date.now() + timeoutMs;
  while (!test(b.text.slice(from))) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${JSON.stringify(String(what))}; got ${JSON.stringify(b.text.slice(from).slice(-800))}`);
    await b.nextOutput(left);
  }
  return b.text.slice(from);
}

/** Runs code in the raw REPL (which must be entered); returns stdout and the traceback. */
export async function execRaw(b: Serialish, code: string, timeoutMs = 10_000): Promise<{ out: string; err: string }> {
  const from = b.text.length;
  b.send(code + '\x04');
  const got = await waitAfter(b, from, (s) => s.startsWith('OK') && endsFramed(s, 2), timeoutMs);
  const [out = '', err = ''] = got.slice(2, -2).split('\x04');
  return { out, err };
}

/**
 * Sends code with raw-paste mode, honouring the board's flow-control window; returns what the
 * board sent during the transfer (window size and increments) and the code's stdout/traceback.
 */
export async function rawPaste(
  b: Serialish,
  code: Uint8Array,
  timeoutMs = 20_000,
): Promise<{ window: number; increments: number; out: string; err: string }> {
  const start = b.text.length;
  b.send('\x05A\x01');
  const head = await waitAfter(b, start, (s) => s.length >= 2, timeoutMs);
  if (head.slice(0, 2) !== 'R\x01') throw new Error('raw-paste refused');
  await waitAfter(b, start, (s) => s.length >= 4, timeoutMs);
  const window = head.charCodeAt(2) | (head.charCodeAt(3) << 8);
  let read = start + 4;
  let remain = window;
  let increments = 0;
  let sent = 0;
  const end = Date.now() + timeoutMs;
  while (sent < code.length) {
    // Take every flow-control byte the board has sent so far.
    while (read < b.text.length) {
      const c = b.text.charCodeAt(read++);
      if (c === 0x01) {
        remain += window;
        increments++;
      } else if (c === 0x04) throw new Error('board ended the raw-paste transfer');
    }
    if (remain === 0) {
      if (Date.now() > end) throw new Error('raw-paste stalled: no window from the board');
      await b.nextOutput(50);
      continue;
    }
    const n = Math.min(remain, code.length - sent);
    b.send(code.subarray(sent, sent + n));
    sent += n;
    remain -= n;
  }
  b.send('\x04');
  const after = await waitAfter(b, read, (s) => endsFramed(s, 3), timeoutMs);
  for (const ch of after.slice(0, after.indexOf('\x04'))) if (ch === '\x01') increments++;
  const body = after.slice(after.indexOf('\x04') + 1, -2);
  const [out = '', err = ''] = body.split('\x04');
  return { window, increments, out, err };
}

/** True once `s` holds `n` end-of-text markers (0x04) and ends with the raw prompt after them. */
export function endsFramed(s: string, n: number): boolean {
  return s.endsWith('\x04>') && s.split('\x04').length - 1 >= n;
}
