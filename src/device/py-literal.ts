// Bytes as a Python bytes literal that costs little more than the bytes themselves on the wire.
//
// base64 costs a third more (4 characters per 3 bytes) and ampy's hex twice as much. A
// triple-quoted literal carries printable ASCII and newlines as they are, so Python source and
// JSON cross almost 1:1; only the backslash, the quote character, CR and bytes outside printable
// ASCII are escaped. CR must be escaped because the lexer turns a raw CR into LF; bytes ≥ 0x80
// because a bytes literal holds ASCII only; the control bytes because the raw REPL gives Ctrl-A..E
// meaning. So the wire never carries anything but TAB, LF and 0x20..0x7E.

const BACKSLASH = 0x5c;
const LF = 0x0a;
const TAB = 0x09;
const HEX = '0123456789abcdef';

/** Of ' and ", the one `data` holds fewer of: fewer escapes. */
function quoteFor(data: Uint8Array): number {
  let single = 0;
  let double = 0;
  for (const b of data) {
    if (b === 0x27) single++;
    else if (b === 0x22) double++;
  }
  return single <= double ? 0x27 : 0x22;
}

/** How many bytes `pyBytesLiteral(data)` will be, without building it. */
export function pyBytesLiteralLength(data: Uint8Array): number {
  const q = quoteFor(data);
  let n = 1 + 6; // b + two triple quotes
  for (const b of data) n += escapedLength(b, q);
  return n;
}

function escapedLength(b: number, q: number): number {
  if (b === BACKSLASH || b === q || b === 0x0d) return 2;
  if (b === LF || b === TAB || (b >= 0x20 && b < 0x7f)) return 1;
  return 4;
}

/** `b'''…'''` (or with ") whose value is exactly `data`, as ASCII bytes. */
export function pyBytesLiteral(data: Uint8Array): Uint8Array {
  const q = quoteFor(data);
  const out = new Uint8Array(pyBytesLiteralLength(data));
  let i = 0;
  out[i++] = 0x62; // b
  out[i++] = q;
  out[i++] = q;
  out[i++] = q;
  for (const b of data) {
    if (b === BACKSLASH || b === q) {
      out[i++] = BACKSLASH;
      out[i++] = b;
    } else if (b === 0x0d) {
      out[i++] = BACKSLASH;
      out[i++] = 0x72; // r
    } else if (b === LF || b === TAB || (b >= 0x20 && b < 0x7f)) {
      out[i++] = b;
    } else {
      out[i++] = BACKSLASH;
      out[i++] = 0x78; // x
      out[i++] = HEX.charCodeAt(b >> 4);
      out[i++] = HEX.charCodeAt(b & 15);
    }
  }
  out.fill(q, i);
  return out;
}
