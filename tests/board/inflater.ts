// Streaming zlib inflate for FLASH_DEFL_DATA: esptool sends one zlib stream cut into blocks, and
// both the ESP32 ROM and the stub inflate block by block (miniz tinfl on the chip, node:zlib here).
import { createInflate, constants, type Inflate } from 'node:zlib';

export class StreamInflater {
  private readonly z: Inflate = createInflate();
  private out: Buffer[] = [];
  private error: Error | undefined;

  constructor() {
    this.z.on('data', (b: Buffer) => this.out.push(b));
    this.z.on('error', (e: Error) => {
      this.error = e;
    });
  }

  /** Inflate one block; resolves with the bytes it produced, rejects on corrupt data. */
  push(block: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      const done = (): void => {
        if (this.error) return reject(this.error);
        const all = Buffer.concat(this.out);
        this.out = [];
        resolve(new Uint8Array(all.buffer, all.byteOffset, all.length));
      };
      this.z.once('error', done);
      this.z.write(Buffer.from(block));
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', done);
        done();
      });
    });
  }

  close(): void {
    this.z.removeAllListeners('data');
    this.z.on('error', () => {});
    this.z.destroy();
  }
}
