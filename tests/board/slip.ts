// SLIP framing as the ESP serial protocol uses it (esptool docs, "Serial Protocol" → "Low Level
// Protocol"): frames start and end with 0xC0; 0xC0 and 0xDB inside become 0xDB 0xDC and 0xDB 0xDD.

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

export function slipEncode(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length * 2 + 2);
  let n = 0;
  out[n++] = SLIP_END;
  for (const b of payload) {
    if (b === SLIP_END) {
      out[n++] = SLIP_ESC;
      out[n++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[n++] = SLIP_ESC;
      out[n++] = SLIP_ESC_ESC;
    } else {
      out[n++] = b;
    }
  }
  out[n++] = SLIP_END;
  return out.slice(0, n);
}

/**
 * Streaming decoder. Bytes outside a frame are ignored (the ROM skips line noise that way); a bad
 * escape ruins the frame it is in, which is then dropped like a frame with a bad length.
 */
export class SlipDecoder {
  private buf: number[] = [];
  private inFrame = false;
  private escaping = false;
  private bad = false;

  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === SLIP_END) {
        if (this.inFrame && this.buf.length > 0 && !this.bad) this.onFrame(Uint8Array.from(this.buf));
        // An END both closes a frame and may open the next one (esptool sends C0 … C0 C0 … C0).
        this.inFrame = true;
        this.buf = [];
        this.escaping = false;
        this.bad = false;
        continue;
      }
      if (!this.inFrame) continue;
      if (this.escaping) {
        this.escaping = false;
        if (b === SLIP_ESC_END) this.buf.push(SLIP_END);
        else if (b === SLIP_ESC_ESC) this.buf.push(SLIP_ESC);
        else this.bad = true;
      } else if (b === SLIP_ESC) {
        this.escaping = true;
      } else {
        this.buf.push(b);
      }
      // Longest legal frame: 8-byte header + 65535 data bytes, escaped at worst to twice that.
      if (this.buf.length > 8 + 0xffff) {
        this.bad = true;
        this.buf = [];
      }
    }
  }

  reset(): void {
    this.buf = [];
    this.inFrame = false;
    this.escaping = false;
    this.bad = false;
  }
}
