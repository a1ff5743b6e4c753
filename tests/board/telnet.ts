// Telnet framing for the RFC 2217 server: a streaming decoder that splits what a client sends into
// data, option negotiation and subnegotiation, and the IAC escaping for the other direction.
// The byte values are from RFC 854 (Telnet protocol specification), p. 14.

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
/** Subnegotiation begin / end. */
export const SB = 250;
export const SE = 240;

/** Telnet options: BINARY is RFC 856, ECHO RFC 857, SUPPRESS-GO-AHEAD RFC 858. */
export const OPT_BINARY = 0;
export const OPT_ECHO = 1;
export const OPT_SGA = 3;

export type Negotiation = typeof DO | typeof DONT | typeof WILL | typeof WONT;

export type TelnetEvent =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'negotiate'; verb: Negotiation; option: number }
  | { kind: 'subnegotiation'; option: number; payload: Uint8Array }
  /** Any other command after IAC (NOP, AYT, BRK…): RFC 2217 uses none, the server ignores them. */
  | { kind: 'command'; code: number };

type State = 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac';

/** Decodes a telnet byte stream chunk by chunk; state survives chunk boundaries. */
export class TelnetDecoder {
  private state: State = 'data';
  private verb: Negotiation = DO;
  private sub: number[] = [];

  decode(chunk: Uint8Array): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    let data: number[] = [];
    const flushData = (): void => {
      if (data.length > 0) events.push({ kind: 'data', bytes: Uint8Array.from(data) });
      data = [];
    };
    for (const byte of chunk) {
      switch (this.state) {
        case 'data':
          if (byte === IAC) this.state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          this.afterIac(byte, data, events, flushData);
          break;
        case 'verb':
          flushData();
          events.push({ kind: 'negotiate', verb: this.verb, option: byte });
          this.state = 'data';
          break;
        case 'sb':
          if (byte === IAC) this.state = 'sb-iac';
          else this.sub.push(byte);
          break;
        case 'sb-iac':
          if (byte === IAC) {
            // A doubled IAC inside a subnegotiation is a 255 in its value (a baud rate can hold one).
            this.sub.push(IAC);
            this.state = 'sb';
          } else {
            flushData();
            this.endSubnegotiation(events);
            // IAC SE is the proper end; anything else after IAC also ends it (RFC 855 leaves that
            // undefined) and is then read as the command it is.
            if (byte !== SE) this.afterIac(byte, data, events, flushData);
          }
          break;
      }
    }
    flushData();
    return events;
  }

  private afterIac(byte: number, data: number[], events: TelnetEvent[], flushData: () => void): void {
    if (byte === IAC) {
      data.push(IAC);
      this.state = 'data';
    } else if (byte === SB) {
      this.sub = [];
      this.state = 'sb';
    } else if (byte === DO || byte === DONT || byte === WILL || byte === WONT) {
      this.verb = byte;
      this.state = 'verb';
    } else {
      flushData();
      // A stray SE outside a subnegotiation is dropped like any other command.
      events.push({ kind: 'command', code: byte });
      this.state = 'data';
    }
  }

  private endSubnegotiation(events: TelnetEvent[]): void {
    const [option, ...payload] = this.sub;
    if (option !== undefined) events.push({ kind: 'subnegotiation', option, payload: Uint8Array.from(payload) });
    this.sub = [];
    this.state = 'data';
  }
}

/** Doubles every 0xFF so data (or a subnegotiation value) cannot be read as a command. */
export function escapeIac(bytes: Uint8Array): Uint8Array {
  let count = 0;
  for (const b of bytes) if (b === IAC) count++;
  if (count === 0) return bytes;
  const out = new Uint8Array(bytes.length + count);
  let j = 0;
  for (const b of bytes) {
    out[j++] = b;
    if (b === IAC) out[j++] = IAC;
  }
  return out;
}

export function negotiation(verb: Negotiation, option: number): Uint8Array {
  return Uint8Array.of(IAC, verb, option);
}

export function subnegotiation(option: number, payload: Uint8Array): Uint8Array {
  const body = escapeIac(Uint8Array.of(option, ...payload));
  const out = new Uint8Array(body.length + 4);
  out.set([IAC, SB]);
  out.set(body, 2);
  out.set([IAC, SE], body.length + 2);
  return out;
}

type OptionState = 'no' | 'yes' | 'want-yes';

/**
 * Which options are on for each side, negotiated so that neither end loops: a request we made is
 * only acknowledged, never answered again (the rule of RFC 1143, without its disable queue: this
 * server never turns an option off by itself).
 */
export class TelnetOptions {
  private readonly ours = new Map<number, OptionState>();
  private readonly theirs = new Map<number, OptionState>();

  /**
   * @param weWill options this end agrees to perform (answered WILL to DO)
   * @param theyMay options this end lets the peer perform (answered DO to WILL)
   * @param send writes negotiation bytes to the peer
   * @param onEnabled called once each time an option turns on, with the side it is on
   */
  constructor(
    private readonly weWill: ReadonlySet<number>,
    private readonly theyMay: ReadonlySet<number>,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly onEnabled: (side: 'ours' | 'theirs', option: number) => void,
  ) {}

  /** Offer to perform an option (IAC WILL). */
  offer(option: number): void {
    if ((this.ours.get(option) ?? 'no') !== 'no') return;
    this.ours.set(option, 'want-yes');
    this.send(negotiation(WILL, option));
  }

  /** Ask the peer to perform an option (IAC DO). */
  ask(option: number): void {
    if ((this.theirs.get(option) ?? 'no') !== 'no') return;
    this.theirs.set(option, 'want-yes');
    this.send(negotiation(DO, option));
  }

  isOn(side: 'ours' | 'theirs', option: number): boolean {
    return (side === 'ours' ? this.ours : this.theirs).get(option) === 'yes';
  }

  receive(verb: Negotiation, option: number): void {
    // DO/DONT concern what we perform; WILL/WONT what the peer performs.
    const ours = verb === DO || verb === DONT;
    const table = ours ? this.ours : this.theirs;
    const allowed = (ours ? this.weWill : this.theyMay).has(option);
    const positive = verb === DO || verb === WILL;
    const state = table.get(option) ?? 'no';
    const yes = ours ? WILL : DO;
    const no = ours ? WONT : DONT;
    if (positive) {
      if (state === 'yes') return;
      if (state === 'want-yes' || allowed) {
        if (state === 'no') this.send(negotiation(yes, option));
        table.set(option, 'yes');
        this.onEnabled(ours ? 'ours' : 'theirs', option);
      } else {
        this.send(negotiation(no, option));
      }
    } else {
      // A refusal of our request needs no answer; turning off an active option is acknowledged.
      if (state === 'yes') this.send(negotiation(no, option));
      table.set(option, 'no');
    }
  }
}
