// The test side of the signed lamp protocol (docs/contracts.md, "The signed lamp protocol"), written
// from the contract with node:crypto's HMAC: an implementation independent of the firmware's
// hand-built one (and of the remote's), so the two meet only in the contract's text.
import { createHmac, randomBytes } from 'node:crypto';
import type { Topics } from './harness.ts';

export type Kind = 'cmd' | 'state' | 'reply' | 'status';

/** hex(HMAC-SHA256(key, "nyala2\n" + kind + "\n" + topic + "\n" + body)) */
export function mac(keyHex: string, kind: Kind, topic: string, body: string | Buffer): string {
  const h = createHmac('sha256', Buffer.from(keyHex, 'hex'));
  h.update(`nyala2\n${kind}\n${topic}\n`);
  h.update(body);
  return h.digest('hex');
}

/** A fresh 128-bit key as 32 lowercase hex digits. */
export function newKey(): string {
  return randomBytes(16).toString('hex');
}

export const HEX16 = /^[0-9a-f]{16}$/;

/** What the owner's phone knows and does: reads the lamp's signed messages, signs commands. */
export class Owner {
  constructor(
    readonly key: string,
    readonly topics: Topics,
  ) {}

  /** The command payload `<on|off> <ch> <mac>`. */
  command(word: 'on' | 'off', challenge: string): string {
    const body = `${word} ${challenge}`;
    return `${body} ${mac(this.key, 'cmd', this.topics.command, body)}`;
  }

  /** A state payload `<ch> <mac>` read back: the lamp's on/off and challenge, or null if forged. */
  readState(payload: string): { word: 'on' | 'off'; challenge: string } | null {
    const [challenge, m, ...rest] = payload.split(' ');
    if (rest.length || !challenge || !m || !HEX16.test(challenge)) return null;
    for (const word of ['on', 'off'] as const) if (mac(this.key, 'state', this.topics.state, `${word} ${challenge}`) === m) return { word, challenge };
    return null;
  }

  /** A reply payload `<text> <ch_used> <mac>` read back, or null if forged. */
  readReply(payload: string): { text: string; used: string } | null {
    const cut = payload.lastIndexOf(' ');
    if (cut < 0) return null;
    const body = payload.slice(0, cut);
    if (mac(this.key, 'reply', this.topics.reply, body) !== payload.slice(cut + 1)) return null;
    const at = body.lastIndexOf(' ');
    return { text: body.slice(0, at), used: body.slice(at + 1) };
  }

  /** A status payload `online|offline <sid> <mac>` read back, or null if forged. */
  readStatus(payload: string): { word: string; sid: string } | null {
    const [word, sid, m, ...rest] = payload.split(' ');
    if (rest.length || !word || !sid || !m) return null;
    if (mac(this.key, 'status', this.topics.status, `${word} ${sid}`) !== m) return null;
    return { word, sid };
  }
}
