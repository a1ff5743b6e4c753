// The ESP8266's boot ROM talks at 74880 baud; read at MicroPython's 115200 it arrives as a line of
// noise (replacement characters and stray control bytes) before every boot. This drops such lines
// from the console's text and says once per burst that it did. Text without noise passes at once,
// so a prompt with no newline after it (">>> ") is never held back.

/** Characters a terminal line may hold: printable text, tab, escape sequences, backspace, bell. */
function isNoise(ch: string): boolean {
  if (ch === '\uFFFD') return true;
  const c = ch.charCodeAt(0);
  return (c < 0x20 && ch !== '\t' && ch !== '\r' && ch !== '\n' && ch !== '\x1b' && ch !== '\b' && ch !== '\x07') || c === 0x7f;
}

/** A line whose share of noise reaches this is the ROM's, not the board's program. */
const NOISE_SHARE = 0.15;

export class BootNoiseFilter {
  /** a partial line held because it already has noise in it */
  private held = '';
  /** whether the last thing let through was the "hidden" note (one note per burst) */
  private noted = false;

  /**
   * Text to show for this chunk of decoded text. `note` is what to show in place of each burst of
   * dropped lines.
   */
  push(text: string, note: string): string {
    let out = '';
    let rest = this.held + text;
    this.held = '';
    for (;;) {
      const nl = rest.indexOf('\n');
      if (nl < 0) break;
      const line = rest.slice(0, nl + 1);
      rest = rest.slice(nl + 1);
      out += this.line(line, note);
    }
    if (rest !== '') {
      // A partial line: shown now unless it already looks like noise (then its end decides).
      if ([...rest].some(isNoise)) this.held = rest;
      else out += this.line(rest, note);
    }
    return out;
  }

  private line(line: string, note: string): string {
    const chars = [...line.replace(/\r?\n$/, '')];
    const noise = chars.filter(isNoise).length;
    if (chars.length > 0 && noise / chars.length >= NOISE_SHARE) {
      if (this.noted) return '';
      this.noted = true;
      return note;
    }
    if (chars.length > 0) this.noted = false;
    return line;
  }
}
