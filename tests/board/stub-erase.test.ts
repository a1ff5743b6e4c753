// The stub's erase runs on the flash chip while the stub goes on (esp-stub-lib's
// stub_lib_flash_start_next_erase starts an erase and returns; a busy chip means "not now"), and
// the chip does one thing at a time. The stub is driven here on a clock the test advances by hand,
// so the order of answers, erases, reads and programming is seen exactly, not guessed from timing.
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CHIPS, Registers } from './chip.ts';
import { BLOCK_ERASE_MS, NorFlash, SECTOR_SIZE, programTimeMs, readTimeMs } from './flash.ts';
import { Halted, type LoaderHost } from './loader.ts';
import { Op, checksum } from './protocol.ts';
import { words } from './raw-client.ts';
import { SlipDecoder, slipEncode } from './slip.ts';
import { StubLoader } from './stub.ts';

interface Wait {
  ms: number;
  done: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A stub on a hand-driven clock: every delay waits until the test ends it. */
class Bench {
  readonly flash = new NorFlash(1024 * 1024);
  readonly waits: Wait[] = [];
  readonly answers: { op: number; status: number[]; body: Uint8Array }[] = [];
  private readonly decoder = new SlipDecoder((f) => {
    // The first frame is the stub's OHAI greeting; answers carry a direction byte 0x01.
    if (f[0] === 1) this.answers.push({ op: f[1]!, status: Array.from(f.subarray(-2)), body: f.subarray(8) });
  });
  readonly stub: StubLoader;
  private readonly running: Promise<void>;

  constructor() {
    const host: LoaderHost = {
      spec: CHIPS.esp32,
      regs: new Registers(CHIPS.esp32, new Uint8Array(6), 1024 * 1024, () => 460800),
      flash: this.flash,
      uartWrite: async (b) => this.decoder.push(b),
      md5Ms: (_loader, bytes) => bytes / 1024,
      delay: (ms) =>
        new Promise<void>((resolve, reject) => {
          const w: Wait = { ms, done: false, resolve: () => ((w.done = true), resolve()), reject };
          this.waits.push(w);
        }),
      drainTx: async () => undefined,
      setBaud: () => undefined,
      setAutobaud: () => undefined,
      leave: () => undefined,
      startStub: () => undefined,
    };
    this.stub = new StubLoader(host);
    this.running = this.stub.run();
  }

  send(op: number, data: Uint8Array, chk = 0): void {
    const frame = new Uint8Array(8 + data.length);
    frame.set([0, op, data.length & 0xff, data.length >> 8]);
    frame.set(words(chk), 4);
    frame.set(data, 8);
    this.stub.receive(slipEncode(frame));
  }

  /** Waits not yet ended. */
  pending(): Wait[] {
    return this.waits.filter((w) => !w.done);
  }

  /** Wait (event-loop turns, bounded) until the stub asks for a wait of `ms`, then end it. */
  async end(ms: number): Promise<void> {
    await until(() => this.pending().some((p) => p.ms === ms), `a pending wait of ${ms} ms (pending: ${this.pending().map((p) => p.ms).join(', ')})`);
    const w = this.pending().filter((p) => p.ms === ms);
    expect(w, `one pending wait of ${ms} ms`).toHaveLength(1);
    w[0]!.resolve();
    await settle();
  }

  async stop(): Promise<void> {
    this.stub.stop();
    let stopped = false;
    void this.running.then(() => (stopped = true));
    // Work still under way (an inflate) may ask for another wait after a first round of refusals.
    while (!stopped) {
      for (const w of this.pending()) w.reject(new Halted());
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Let every promise that can move without outside work, move. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Event-loop turns until `cond` holds (the inflater works on libuv's pool, so it takes turns). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

const READ_SECTOR_MS = readTimeMs(SECTOR_SIZE);
let bench: Bench | undefined;
afterEach(async () => {
  await bench?.stop();
  bench = undefined;
});

describe('stub erase on the chip', () => {
  it('FLASH_DEFL_BEGIN answers while its first erase runs; MD5 waits for the chip; one erase at a time, programming after it', async () => {
    const b = (bench = new Bench());
    await settle();
    // Old firmware on the chip: the stub's blank check reads the first sector (read time), finds
    // it dirty and from then on erases without reading.
    b.flash.program(0, new Uint8Array(0x30000).fill(0x5a));
    const image = new Uint8Array(0x20000).map((_, i) => (i * 31) & 0xff);
    const compressed = deflateSync(image);
    b.send(Op.FLASH_DEFL_BEGIN, words(image.length, 1, 0x4000, 0));
    await settle();
    await b.end(READ_SECTOR_MS);
    expect(b.answers.map((a) => [a.op, a.status])).toEqual([[Op.FLASH_DEFL_BEGIN, [0, 0]]]);
    expect(b.pending().map((w) => w.ms)).toEqual([BLOCK_ERASE_MS]);

    // The chip is busy: an MD5 must wait for it.
    b.send(Op.SPI_FLASH_MD5, words(0x20000, 0x1000, 0, 0));
    await settle();
    expect(b.answers).toHaveLength(1);
    await b.end(BLOCK_ERASE_MS);
    await b.end(4); // the MD5's own time (md5Ms above)
    expect(b.answers.map((a) => a.op)).toEqual([Op.FLASH_DEFL_BEGIN, Op.SPI_FLASH_MD5]);

    // The block: acknowledged on receipt; the inflate step starts the next erase; programming
    // waits for it; never two erases at once.
    const block = new Uint8Array(16 + compressed.length);
    block.set(words(compressed.length, 0, 0, 0));
    block.set(compressed, 16);
    b.send(Op.FLASH_DEFL_DATA, block, checksum(compressed));
    await settle();
    expect(b.answers.at(-1)?.op).toBe(Op.FLASH_DEFL_DATA);
    expect(b.pending().map((w) => w.ms)).toEqual([BLOCK_ERASE_MS]);
    await b.end(BLOCK_ERASE_MS);
    await until(() => b.pending().length > 0, 'the programming');
    expect(b.pending().map((w) => w.ms)).toEqual([programTimeMs(image.length)]);
    await b.end(programTimeMs(image.length));
    expect(b.flash.read(0, image.length)).toEqual(image);
    // Past the image, the old bytes stay.
    expect(b.flash.read(0x20000, 4)).toEqual(new Uint8Array(4).fill(0x5a));
  });

  it('a blank chip is read sector by sector, each at the flash read time, and never erased', async () => {
    const b = (bench = new Bench());
    await settle();
    b.send(Op.FLASH_DEFL_BEGIN, words(3 * SECTOR_SIZE, 1, 0x4000, 0x1000));
    await settle();
    // One sector read per step: FLASH_BEGIN makes one step, and answers after it.
    expect(b.pending().map((w) => w.ms)).toEqual([READ_SECTOR_MS]);
    expect(b.answers).toHaveLength(0);
    await b.end(READ_SECTOR_MS);
    expect(b.answers).toHaveLength(1);
    const data = new Uint8Array(3 * SECTOR_SIZE).fill(0x11);
    const compressed = deflateSync(data);
    const block = new Uint8Array(16 + compressed.length);
    block.set(words(compressed.length, 0, 0, 0));
    block.set(compressed, 16);
    b.send(Op.FLASH_DEFL_DATA, block, checksum(compressed));
    await settle();
    await b.end(READ_SECTOR_MS);
    await b.end(READ_SECTOR_MS);
    await until(() => b.pending().length > 0, 'the programming');
    expect(b.pending().map((w) => w.ms)).toEqual([programTimeMs(data.length)]);
    expect(b.flash.eraseMs).toBe(0);
    await b.end(programTimeMs(data.length));
    expect(b.flash.read(0x1000, data.length)).toEqual(data);
  });
});
