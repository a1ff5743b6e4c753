import { describe, expect, it } from 'vitest';
import { BootNoiseFilter } from '../../../src/ui/boot-noise.ts';

const NOTE = '[boot noise hidden]\r\n';
// What the ESP8266 ROM's 74880-baud banner looks like decoded as UTF-8 at 115200.
const GARBAGE = ' ets Jan  8 2013,rst cause:2'.replace(/[aeiou ]/g, '\uFFFD') + '\x00\x02\r\n';

describe('BootNoiseFilter', () => {
  it('lets ordinary REPL text through at once, a prompt without a newline included', () => {
    const f = new BootNoiseFilter();
    expect(f.push('MicroPython v1.27.0 on 2025-12-09\r\n', NOTE)).toBe('MicroPython v1.27.0 on 2025-12-09\r\n');
    expect(f.push('>>> ', NOTE)).toBe('>>> ');
    expect(f.push('\x1b[K\x08', NOTE)).toBe('\x1b[K\x08');
  });

  it('replaces a burst of noisy lines with one note, split across chunks too', () => {
    const f = new BootNoiseFilter();
    const half = Math.floor(GARBAGE.length / 2);
    expect(f.push(GARBAGE.slice(0, half), NOTE)).toBe('');
    expect(f.push(GARBAGE.slice(half) + GARBAGE, NOTE)).toBe(NOTE);
    expect(f.push('MicroPython v1.27.0\r\n>>> ', NOTE)).toBe('MicroPython v1.27.0\r\n>>> ');
    // A later reboot's noise is noted again.
    expect(f.push(GARBAGE, NOTE)).toBe(NOTE);
  });

  it('keeps a line with one odd character (a typo, a UTF-8 name)', () => {
    const f = new BootNoiseFilter();
    expect(f.push("print('lampu teras \u00e9')\r\n", NOTE)).toBe("print('lampu teras \u00e9')\r\n");
    expect(f.push('a long line of program output with one \uFFFD in it\r\n', NOTE)).toBe('a long line of program output with one \uFFFD in it\r\n');
  });
});
