// The lamp firmware's log lines (docs/contracts.md, "The firmware's log lines") as typed events,
// and what a failed step most likely means for the person setting it up.

export type LampLog =
  | { part: 'config'; word: 'ok' }
  | { part: 'config'; word: 'error'; reason: 'missing' | 'invalid'; detail: string }
  | { part: 'wifi'; word: 'connecting'; ssid: string }
  | { part: 'wifi'; word: 'ok'; ip: string }
  | { part: 'wifi'; word: 'error'; reason: 'wrong-password' | 'no-ap' | 'timeout'; detail: string }
  | { part: 'mqtt'; word: 'connecting'; host: string; port: number }
  | { part: 'mqtt'; word: 'ok' }
  | { part: 'mqtt'; word: 'error'; reason: 'refused' | 'auth' | 'timeout' | 'lost' | 'protocol'; detail: string }
  | { part: 'lamp'; word: 'on' | 'off' }
  | { part: 'lamp'; word: 'ignored'; bytes: number }
  | { part: 'lamp'; word: 'refused'; reason: LampRefusal };

/** Why a signed lamp did nothing with a command (docs/contracts.md, "The signed lamp protocol"). */
export type LampRefusal = 'retained' | 'malformed' | 'bad-mac' | 'stale';

/** What to tell the person when the lamp doesn't come online (ui/ words it). */
export type BootHint =
  | 'config' // config.json missing or invalid: upload again
  | 'wrong-password' // the Wi-Fi password
  | 'no-ap' // network not found: the name, or a 5 GHz-only network (the ESP sees 2.4 GHz only)
  | 'wifi-timeout' // the router didn't answer in time: distance, signal
  | 'broker-refused' // host/port wrong, or the broker refused the connection
  | 'broker-auth' // username/password for the broker
  | 'broker-timeout' // broker unreachable: a firewall, the port, the host
  | 'broker-lost' // connected, then the link dropped
  | 'no-log'; // the board said nothing we know in time: not our program running, or it crashed

const PREFIX = 'nyala: ';

/** One log line, or null for anything else the board prints. */
export function parseLampLog(line: string): LampLog | null {
  const at = line.indexOf(PREFIX);
  if (at < 0) return null;
  const words = line.slice(at + PREFIX.length).trim().split(' ');
  const [part, word, third = '', ...more] = words;
  const rest = [third, ...more].join(' ').trim();
  const detailAfterReason = more.join(' ');
  switch (`${part} ${word}`) {
    case 'config ok':
      return { part: 'config', word: 'ok' };
    case 'config error':
      return third === 'missing' || third === 'invalid' ? { part: 'config', word: 'error', reason: third, detail: detailAfterReason } : null;
    case 'wifi connecting':
      return { part: 'wifi', word: 'connecting', ssid: rest };
    case 'wifi ok':
      return { part: 'wifi', word: 'ok', ip: third };
    case 'wifi error':
      return third === 'wrong-password' || third === 'no-ap' || third === 'timeout'
        ? { part: 'wifi', word: 'error', reason: third, detail: detailAfterReason }
        : null;
    case 'mqtt connecting': {
      const colon = rest.lastIndexOf(':');
      return { part: 'mqtt', word: 'connecting', host: rest.slice(0, colon), port: Number(rest.slice(colon + 1)) };
    }
    case 'mqtt ok':
      return { part: 'mqtt', word: 'ok' };
    case 'mqtt error':
      return third === 'refused' || third === 'auth' || third === 'timeout' || third === 'lost' || third === 'protocol'
        ? { part: 'mqtt', word: 'error', reason: third, detail: detailAfterReason }
        : null;
    case 'lamp on':
    case 'lamp off':
      return { part: 'lamp', word: word === 'on' ? 'on' : 'off' };
    case 'lamp ignored':
      return { part: 'lamp', word: 'ignored', bytes: Number(third) };
    case 'lamp refused':
      return third === 'retained' || third === 'malformed' || third === 'bad-mac' || third === 'stale'
        ? { part: 'lamp', word: 'refused', reason: third }
        : null;
    default:
      return null;
  }
}

/** The hint for a failed step; null when the line is no failure. */
export function hintFor(log: LampLog): BootHint | null {
  if (log.word !== 'error') return null;
  switch (log.part) {
    case 'config':
      return 'config';
    case 'wifi':
      return log.reason === 'timeout' ? 'wifi-timeout' : log.reason;
    case 'mqtt':
      // protocol: what answered does not speak MQTT 3.1.1 as it must (often not a broker at all, or
      // the wrong port): the same advice as a refused connection.
      return log.reason === 'refused' || log.reason === 'protocol'
        ? 'broker-refused'
        : log.reason === 'auth'
          ? 'broker-auth'
          : log.reason === 'timeout'
            ? 'broker-timeout'
            : 'broker-lost';
  }
}
