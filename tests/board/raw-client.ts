// A bare serial-protocol client for tests that must see the exact bytes a loader answers (what
// esptool-js hides: repeated replies, status bytes, error codes). It drives the board's port the
// way any Web Serial user would.
import type { Board } from './index.ts';
import { SlipDecoder, slipEncode } from './slip.ts';

export interface Reply {
  op: number;
  value: number;
  body: Uint8Array;
}

export class RawClient {
  private frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly decoder = new SlipDecoder((f) => {
    this.frames.push(f);
    this.wake?.();
  });

  constructor(private readonly board: Board) {}

  /** Open at `baud` without touching the board (whatever runs keeps running). */
  async open(baud: number): Promise<void> {
    await this.board.port.open({ baudRate: baud });
    this.reader = this.board.port.readable!.getReader();
    void this.pump();
  }

  /** Open at `baud` and reset the board into download mode with DTR/RTS (classic sequence). */
  async openInDownloadMode(baud = 115200): Promise<void> {
    const port = this.board.port;
    await this.open(baud);
    await port.setSignals({ dataTerminalReady: false, requestToSend: true });
    await port.setSignals({ dataTerminalReady: true, requestToSend: false });
    await this.board.waitForState('download', 5000);
    await port.setSignals({ dataTerminalReady: false, requestToSend: false });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const r = await this.reader!.read().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      this.decoder.push(r.value);
    }
  }

  async send(op: number, data: Uint8Array, checksum = 0): Promise<void> {
    const pkt = new Uint8Array(8 + data.length);
    const dv = new DataView(pkt.buffer);
    pkt[1] = op;
    dv.setUint16(2, data.length, true);
    dv.setUint32(4, checksum, true);
    pkt.set(data, 8);
    await this.sendRaw(slipEncode(pkt));
  }

  async sendRaw(bytes: Uint8Array): Promise<void> {
    const w = this.board.port.writable!.getWriter();
    try {
      await w.write(bytes);
    } finally {
      w.releaseLock();
    }
  }

  /** Frames that arrive within `ms` (real time), stopping early once `count` have come. */
  async framesWithin(count: number, ms: number): Promise<Uint8Array[]> {
    const deadline = Date.now() + ms;
    while (this.frames.length < count && Date.now() < deadline) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, Math.max(1, deadline - Date.now()));
      });
    }
    return this.frames.splice(0, count);
  }

  async replies(count: number, ms: number): Promise<Reply[]> {
    return (await this.framesWithin(count, ms)).map((f) => ({
      op: f[1] ?? -1,
      value: new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(4, true),
      body: f.subarray(8),
    }));
  }

  /** Everything else that arrives within `ms`. */
  async drain(ms: number): Promise<Uint8Array[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.splice(0);
  }

  async close(): Promise<void> {
    await this.reader?.cancel().catch(() => {});
    this.reader?.releaseLock();
    await this.board.port.close();
  }
}

export const SYNC_DATA = Uint8Array.from([0x07, 0x07, 0x12, 0x20, ...new Array<number>(32).fill(0x55)]);

export function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}
