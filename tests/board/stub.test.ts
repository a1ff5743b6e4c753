// The flasher stub's exact answers, seen on the wire once esptool-js has uploaded it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { boardPerTest, loaderFor, within } from './esptool-harness.ts';
import { MD5_MS_PER_MB, type Board } from './index.ts';
import { RawClient, SYNC_DATA, words } from './raw-client.ts';

let board: Board | undefined;
const newBoard = boardPerTest();

const xorChecksum = (d: Uint8Array): number => d.reduce((c, b) => c ^ b, 0xef);

/** esptool-js uploads the stub and switches to 460800; then we talk to the stub ourselves. */
async function stubSession(chip: 'esp8266' | 'esp32'): Promise<{ b: Board; raw: RawClient }> {
  board = newBoard({ chip, timeScale: 0.05 });
  const b = board;
  const { loader, transport } = loaderFor(b, 460800);
  await within(20_000, loader.main());
  await transport.disconnect();
  expect(b.state).toBe('stub');
  const raw = new RawClient(b);
  await raw.open(460800);
  return { b, raw };
}

describe('stub answers', () => {
  it('SYNC eight times with value 0; status codes big-endian in two bytes', { timeout: 30_000 }, async () => {
    const { raw } = await stubSession('esp8266');
    await raw.send(0x08, SYNC_DATA);
    const syncs = await raw.replies(8, 2000);
    expect(syncs).toHaveLength(8);
    expect(syncs.every((r) => r.op === 0x08 && r.value === 0 && r.body.length === 2 && r.body[0] === 0)).toBe(true);

    const status = async (op: number, data: Uint8Array, chk = 0): Promise<number[]> => {
      await raw.send(op, data, chk);
      const [r] = await raw.replies(1, 2000);
      expect(r?.op).toBe(op);
      return Array.from(r!.body.subarray(-2));
    };
    expect(await status(0x55, new Uint8Array(0))).toEqual([0xc3, 0x00]); // unknown command
    expect(await status(0x14, new Uint8Array(0))).toEqual([0xff, 0x00]); // GET_SECURITY_INFO: not on ESP8266
    expect(await status(0xd1, words(0x1001, 0x1000))).toEqual([0xc0, 0x00]); // ERASE_REGION unaligned
    expect(await status(0x03, words(4, 0, 0, 0, 0))).toEqual([0xc6, 0x00]); // FLASH_DATA before FLASH_BEGIN
    expect(await status(0x10, words(0x1000, 1, 0x4000, 0x10000))).toEqual([0, 0]);
    const block = new Uint8Array(16 + 8);
    block.set(words(8, 0, 0, 0));
    expect(await status(0x11, block, 0x00)).toEqual([0xc1, 0x00]); // bad checksum
    expect(await status(0x0a, words(0x40001000))).toEqual([0, 0]);
    // RUN_USER_CODE gets no answer at all
    await raw.send(0xd3, new Uint8Array(0));
    expect(await raw.drain(100)).toHaveLength(0);
    await raw.close();
  });

  it('a corrupt deflate stream is reported on the next command (the stub writes after it acks)', { timeout: 30_000 }, async () => {
    const { raw } = await stubSession('esp32');
    await raw.send(0x10, words(0x1000, 1, 0x4000, 0x10000));
    expect(Array.from((await raw.replies(1, 2000))[0]!.body)).toEqual([0, 0]);
    const garbage = Uint8Array.from([0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11]);
    const block = new Uint8Array(16 + garbage.length);
    block.set(words(garbage.length, 0, 0, 0));
    block.set(garbage, 16);
    await raw.send(0x11, block, xorChecksum(garbage));
    expect(Array.from((await raw.replies(1, 2000))[0]!.body)).toEqual([0, 0]); // acked on receipt
    await raw.send(0x0a, words(0x40001000));
    const [next] = await raw.replies(1, 2000);
    expect(Array.from(next!.body)).toEqual([0xc7, 0x00]); // INFLATE_ERROR, and READ_REG not run
    expect(next!.value).toBe(0);
    await raw.close();
  });

  it('READ_FLASH sends one packet per acknowledgement, then the MD5', { timeout: 30_000 }, async () => {
    const { b, raw } = await stubSession('esp32');
    b.flash.preload(0x20000, new Uint8Array(0x2000).map((_, i) => (i * 7) & 0xff));
    await raw.send(0xd2, words(0x20000, 0x2000, 0x1000, 64));
    expect(Array.from((await raw.replies(1, 2000))[0]!.body)).toEqual([0, 0]);
    const [first] = await raw.framesWithin(1, 2000);
    expect(first?.length).toBe(0x1000);
    // no second packet until the first is acknowledged
    expect(await raw.drain(100)).toHaveLength(0);
    await raw.sendRaw(Uint8Array.from([0xc0, 0x00, 0x10, 0x00, 0x00, 0xc0]));
    const [second] = await raw.framesWithin(1, 2000);
    expect(second?.length).toBe(0x1000);
    await raw.sendRaw(Uint8Array.from([0xc0, 0x00, 0x20, 0x00, 0x00, 0xc0]));
    const [digest] = await raw.framesWithin(1, 2000);
    expect(Buffer.from(digest!).toString('hex')).toBe(createHash('md5').update(b.flash.read(0x20000, 0x2000)).digest('hex'));
    await raw.close();
  });

  for (const chip of ['esp8266', 'esp32'] as const) {
    it(`SPI_FLASH_MD5 over 4 MB takes the ${chip}'s modelled read-and-hash time, then answers 16 bytes`, { timeout: 30_000 }, async () => {
      const { b, raw } = await stubSession(chip);
      const size = 4 << 20;
      const t0 = performance.now();
      await raw.send(0x13, words(0, size, 0, 0));
      const [r] = await raw.replies(1, 20_000);
      const ms = performance.now() - t0;
      expect(r?.op).toBe(0x13);
      expect(Buffer.from(r!.body.subarray(0, 16)).toString('hex')).toBe(createHash('md5').update(b.flash.read(0, size)).digest('hex'));
      // 4 MB × the model's ms per MB, at the board's timeScale: never free, as it was.
      expect(ms).toBeGreaterThanOrEqual(4 * MD5_MS_PER_MB[chip].stub * 0.05 * 0.95);
      await raw.close();
    });
  }
});
