// A host terminal on the virtual board's Web-Serial-shaped port: what a test reads and types,
// through the real link (paced, at the agreed baud).

import type { Board } from '../index.ts';
import type { Serialish } from './repl-helpers.ts';

export class PortTerminal implements Serialish {
  private out: number[] = [];
  private waiters: (() => void)[] = [];
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private writeChain: Promise<void> = Promise.resolve();

  private constructor(readonly board: Board) {}

  static async open(board: Board, baudRate = 115200): Promise<PortTerminal> {
    const t = new PortTerminal(board);
    await board.port.open({ baudRate });
    t.writer = board.port.writable!.getWriter();
    t.reader = board.port.readable!.getReader();
    void t.pump();
    return t;
  }

  private async pump(): Promise<void> {
    const reader = this.reader!;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const c of value) this.out.push(c);
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // unplugged or closed
    }
  }

  send(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const w = this.writer!;
    this.writeChain = this.writeChain.then(() => w.write(new Uint8Array(bytes))).catch(() => undefined);
  }

  /** Resolves when everything sent so far has been taken by the link. */
  flushed(): Promise<void> {
    return this.writeChain;
  }

  get text(): string {
    return Buffer.from(this.out).toString('latin1');
  }

  nextOutput(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async waitFor(what: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const ok = (): boolean => (typeof what === 'string' ? this.text.includes(what) : what.test(this.text));
    const end = Date.now() + timeoutMs;
    while (!ok()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(what)}; got ${JSON.stringify(this.text.slice(-600))}`);
      await this.nextOutput(left);
    }
    return this.text;
  }

  /** A hard reset through DTR/RTS, as esptool's hard_reset does (RTS pulls EN low, then releases). */
  async hardReset(): Promise<void> {
    await this.board.port.setSignals({ dataTerminalReady: false, requestToSend: true });
    await new Promise((r) => setTimeout(r, 5));
    await this.board.port.setSignals({ dataTerminalReady: false, requestToSend: false });
  }

  async close(): Promise<void> {
    try {
      this.reader?.releaseLock();
      this.writer?.releaseLock();
      await this.board.port.close();
    } catch {
      // already gone
    }
  }
}
