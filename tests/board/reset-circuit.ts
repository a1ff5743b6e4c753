// How the host's DTR and RTS reach EN and IO0.
//
// USB-UART boards (NodeMCU, ESP32 DevKitC) use two cross-coupled NPN transistors (esptool docs,
// "Boot Mode Selection" → "Automatic Bootloader"): RTS asserted alone pulls EN low (reset), DTR
// asserted alone pulls IO0 low; both asserted or both released leave both high, so a terminal
// that raises both lines on open does not reset the board.
//
// The USB-Serial/JTAG peripheral of newer chips has no transistors; it resets the chip while RTS
// is asserted and DTR is not, and boots it into download mode when DTR was asserted just before
// that reset began (esptool's USBJTAGSerialReset goes through (DTR,RTS) = (1,0) → (1,1) → (0,1) →
// (0,0) for that reason: "calls inverted to go through (1,1) instead of (0,0)").

export interface Lines {
  dtr: boolean;
  rts: boolean;
}

export interface Pins {
  /** chip enable: false holds the chip in reset */
  en: boolean;
  /** strapping pin GPIO0 as sampled when EN rises: false = download mode */
  io0: boolean;
}

export type ResetCircuit = 'two-transistor' | 'usb-serial-jtag' | 'none';

export class AutoReset {
  private lines: Lines = { dtr: false, rts: false };
  private latchedDownload = false;

  constructor(private readonly kind: ResetCircuit) {}

  /** Pins for the new line state. */
  apply(next: Lines): Pins {
    const prev = this.lines;
    this.lines = next;
    if (this.kind === 'none') return { en: true, io0: true };
    if (this.kind === 'two-transistor') {
      return { en: !(next.rts && !next.dtr), io0: !(next.dtr && !next.rts) };
    }
    const inReset = next.rts && !next.dtr;
    const wasInReset = prev.rts && !prev.dtr;
    if (inReset && !wasInReset) this.latchedDownload = prev.dtr;
    return { en: !inReset, io0: inReset ? true : !this.latchedDownload };
  }

  /** Called once the chip has sampled the strap, so the next plain reset boots normally. */
  consumed(): void {
    this.latchedDownload = false;
  }
}
