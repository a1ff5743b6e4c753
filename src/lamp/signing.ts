// The MAC of the signed lamp protocol (docs/contracts.md, "The signed lamp protocol"):
//   mac = hex(HMAC-SHA256(key, "nyala2\n" + kind + "\n" + topic + "\n" + body))
// with the key as its 16 raw bytes. A signed payload is `body + " " + mac`. The kind and the topic
// are inside the MAC so a message signed for one place (a state, another lamp's topic) is worth
// nothing in another. Synchronous and DOM-free, so the remote can check every message as it comes.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { isLampKeyHex } from './settings.ts';

export type MacKind = 'cmd' | 'state' | 'reply' | 'status';

/** The contract's domain tag: a MAC from some other protocol with the same key never matches. */
const DOMAIN = 'nyala2';
/** SHA-256 gives 32 bytes: 64 hex digits. */
export const MAC_HEX_DIGITS = 64;
const MAC_PATTERN = /^[0-9a-f]{64}$/;

function keyBytes(keyHex: string): Uint8Array {
  if (!isLampKeyHex(keyHex)) throw new Error('a lamp key is 32 lowercase hex digits');
  return hexToBytes(keyHex);
}

/**
 * The HMAC with the key already absorbed (its inner and outer pads hashed), kept for the last key
 * used: a remote checks every message of one lamp with one key, and this halves the hashing.
 */
let keyed: { keyHex: string; mac: ReturnType<typeof hmac.create> } | null = null;

/** 64 lowercase hex digits. Throws if the key is not 32 lowercase hex digits (a bug, not input). */
export function lampMac(keyHex: string, kind: MacKind, topic: string, body: string): string {
  if (keyed?.keyHex !== keyHex) keyed = { keyHex, mac: hmac.create(sha256, keyBytes(keyHex)) };
  const message = utf8ToBytes(`${DOMAIN}\n${kind}\n${topic}\n${body}`);
  return bytesToHex(keyed.mac.clone().update(message).digest());
}

/** `body + " " + mac`, what goes on the wire. */
export function signPayload(keyHex: string, kind: MacKind, topic: string, body: string): string {
  return `${body} ${lampMac(keyHex, kind, topic, body)}`;
}

/**
 * The body of a payload whose trailing MAC is valid for this key, kind and topic, else null.
 * The MAC is compared in constant time, so the time taken tells an attacker nothing of how many
 * leading digits were right.
 */
export function verifyPayload(keyHex: string, kind: MacKind, topic: string, payload: string): { body: string } | null {
  const space = payload.lastIndexOf(' ');
  if (space < 0) return null;
  const mac = payload.slice(space + 1);
  if (!MAC_PATTERN.test(mac)) return null;
  const body = payload.slice(0, space);
  return sameText(lampMac(keyHex, kind, topic, body), mac) ? { body } : null;
}

/** Equal strings of the same length, looking at every character whatever the first difference. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
