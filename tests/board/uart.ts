// What a UART receiver makes of a byte stream sent at another baud. Both sides use 8N1 frames
// (start bit 0, eight data bits LSB first, stop bit 1, 10 bit-times a byte). The receiver waits for
// a falling edge, then samples the middle of each of its own bit-times; when the transmitter runs
// at a different rate the samples land in the wrong bits and the result is the familiar noise
// (the ESP8266's 74880-baud boot text read at 115200, for instance).

/** Bytes a receiver at `rxBaud` decodes from `bytes` sent back to back at `txBaud`. */
export function resample(bytes: Uint8Array, txBaud: number, rxBaud: number): Uint8Array {
  const nBits = bytes.length * 10;
  // Line level at tx bit index i (idle high outside the stream).
  const level = (i: number): number => {
    if (i < 0 || i >= nBits) return 1;
    const byte = bytes[Math.floor(i / 10)] ?? 0xff;
    const bit = i % 10;
    if (bit === 0) return 0;
    if (bit === 9) return 1;
    return (byte >> (bit - 1)) & 1;
  };
  // One receiver bit-time measured in transmitter bit-times.
  const rxBit = txBaud / rxBaud;
  const at = (t: number): number => level(Math.floor(t));
  const out: number[] = [];
  let t = 0; // time in tx bit units
  while (t < nBits) {
    // Find the next falling edge: a tx bit boundary where the line goes 1 → 0.
    let edge = Math.ceil(t);
    while (edge < nBits && !(level(edge) === 0 && level(edge - 1) === 1)) edge++;
    if (edge >= nBits) break;
    let value = 0;
    for (let k = 0; k < 8; k++) value |= at(edge + (k + 1.5) * rxBit) << k;
    out.push(value);
    // The receiver looks for the next start bit after the middle of its stop bit.
    t = edge + 9.5 * rxBit;
  }
  return Uint8Array.from(out);
}

/** Receivers tolerate a few percent of clock error; beyond that bytes come out wrong. */
export function baudsAgree(a: number, b: number): boolean {
  return Math.abs(a - b) / Math.max(a, b) < 0.025;
}
