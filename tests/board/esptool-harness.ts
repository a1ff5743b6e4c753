// Test-side glue for driving the real esptool-js against a virtual board: a terminal that keeps
// esptool-js's log lines (instead of console noise) and a helper that bounds every wait.
import { ESPLoader, Transport, type IEspLoaderTerminal } from 'esptool-js';
import { afterEach, beforeEach, vi } from 'vitest';
import { createBoard, type Board, type BoardOptions } from './index.ts';
import { within } from './within.ts';

export { within };

export class LogTerminal implements IEspLoaderTerminal {
  lines: string[] = [];
  private partial = '';
  clean(): void {
    this.lines = [];
  }
  writeLine(data: string): void {
    this.lines.push(this.partial + data);
    this.partial = '';
  }
  write(data: string): void {
    this.partial += data;
  }
  get text(): string {
    return this.lines.join('\n') + this.partial;
  }
}

export function loaderFor(board: Board, baudrate: number, extra: { romBaudrate?: number } = {}): { loader: ESPLoader; transport: Transport; log: LogTerminal } {
  const transport = new Transport(board.port);
  const log = new LogTerminal();
  const loader = new ESPLoader({ transport, baudrate, terminal: log, ...extra });
  return { loader, transport, log };
}

/** Collect what the board prints on the port at `baud` until `until` matches or `ms` pass. */
export async function readPort(board: Board, baud: number, ms: number, until?: RegExp): Promise<Uint8Array> {
  const port = board.port;
  await port.open({ baudRate: baud });
  const reader = port.readable!.getReader();
  const chunks: number[] = [];
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const left = deadline - Date.now();
      const r = await Promise.race([
        reader.read(),
        new Promise<{ value?: undefined; done: true }>((res) => setTimeout(() => res({ done: true }), left)),
      ]);
      if (r.value) chunks.push(...r.value);
      if (until && until.test(new TextDecoder('latin1').decode(Uint8Array.from(chunks)))) break;
      if (r.done) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
    await port.close();
  }
  return Uint8Array.from(chunks);
}

/**
 * One virtual board per test: the returned function makes a board that is powered off after the
 * test, and esptool-js's console.log chatter ("readLoop exited") is muted meanwhile.
 */
export function boardPerTest(): (options: BoardOptions) => Board {
  const made: Board[] = [];
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const b of made.splice(0)) await b.close();
  });
  return (options) => {
    const b = createBoard(options);
    made.push(b);
    return b;
  };
}
