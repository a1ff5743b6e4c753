import { describe, expect, it } from 'vitest';
import { DO, DONT, IAC, OPT_BINARY, OPT_ECHO, SB, SE, TelnetDecoder, TelnetOptions, WILL, WONT, escapeIac, subnegotiation } from './telnet.ts';

describe('telnet framing', () => {
  it('splits data, negotiation and subnegotiation, across chunk boundaries', () => {
    const stream = Uint8Array.of(1, 2, IAC, IAC, 3, IAC, DO, 44, IAC, SB, 44, 1, 0, IAC, IAC, 0, 9, IAC, SE, 4);
    // Feed it one byte at a time: a real socket may cut anywhere.
    const decoder = new TelnetDecoder();
    const events = [...stream].flatMap((b) => decoder.decode(Uint8Array.of(b)));
    const data = events.flatMap((e) => (e.kind === 'data' ? [...e.bytes] : []));
    expect(data).toEqual([1, 2, 255, 3, 4]);
    expect(events.filter((e) => e.kind !== 'data')).toEqual([
      { kind: 'negotiate', verb: DO, option: 44 },
      { kind: 'subnegotiation', option: 44, payload: Uint8Array.of(1, 0, 255, 0, 9) },
    ]);
  });

  it('doubles IAC in data and in subnegotiation values, and the decoder undoes it', () => {
    expect([...escapeIac(Uint8Array.of(0, 255, 1, 255))]).toEqual([0, 255, 255, 1, 255, 255]);
    const framed = subnegotiation(44, Uint8Array.of(101, 0, 0, 255, 255));
    expect([...framed]).toEqual([IAC, SB, 44, 101, 0, 0, 255, 255, 255, 255, IAC, SE]);
    expect(new TelnetDecoder().decode(framed)).toEqual([
      { kind: 'subnegotiation', option: 44, payload: Uint8Array.of(101, 0, 0, 255, 255) },
    ]);
  });

  it('answers a request once, acknowledges without echoing, and refuses unknown options', () => {
    const sent: number[][] = [];
    const enabled: string[] = [];
    const options = new TelnetOptions(new Set([OPT_BINARY]), new Set([OPT_BINARY]), (b) => sent.push([...b]), (side, o) =>
      enabled.push(`${side}:${o}`),
    );
    options.offer(OPT_BINARY);
    options.receive(DO, OPT_BINARY); // the acknowledgement of our offer: no answer
    options.receive(DO, OPT_BINARY); // repeated: still no answer (no loop)
    options.receive(WILL, OPT_BINARY); // the peer offers: we agree once
    options.receive(DO, OPT_ECHO); // unsupported
    options.receive(DONT, OPT_BINARY); // switched off: acknowledged
    expect(sent).toEqual([
      [IAC, WILL, OPT_BINARY],
      [IAC, DO, OPT_BINARY],
      [IAC, WONT, OPT_ECHO],
      [IAC, WONT, OPT_BINARY],
    ]);
    expect(enabled).toEqual([`ours:${OPT_BINARY}`, `theirs:${OPT_BINARY}`]);
    expect(options.isOn('ours', OPT_BINARY)).toBe(false);
    expect(options.isOn('theirs', OPT_BINARY)).toBe(true);
  });
});
