// The lamp's remote over MQTT-over-WebSocket (MQTT.js), for one lamp. No DOM: the page hands in
// whether it is served over https and a way to hear "the network is back" / "the page is visible".
//
// What it promises the person:
// - a command is published only while connected; otherwise it is reported as not sent, at once;
// - a command is never delivered later behind their back: every connection is a fresh MQTT.js
//   client with an empty outgoing store, so a QoS 1 publish that was cut off is not resent on
//   reconnect (MQTT.js would resend it if the same client reconnected);
// - a command stays pending until the board confirms it, else it ends as "no answer" after a
//   timeout. A plain lamp confirms by its retained state or its reply; a signed lamp only by a
//   reply with a valid MAC naming the challenge the command carried.
//
// Signed lamps (docs/contracts.md, "The signed lamp protocol"): the broker and everyone on it are
// assumed hostile, so the remote believes only messages with a valid MAC for the lamp's key and
// topic, signs each command with the lamp's current challenge (from its latest verified state),
// ignores replays of the lamp's own old messages it can recognise, and retries a command that lost
// its challenge to another phone. Whatever anyone sends, what is kept is bounded: payloads over
// MAX_PAYLOAD_BYTES are dropped unread, the log keeps `logLimit` entries of bounded size.
// The default export: in Node it is MQTT.js's module, in the browser build MQTT.js as
// scripts/mqtt-browser.ts bundles it (which has no url.parse: connect() gets brokerOptions()).
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  checkWebSocketUrl,
  isLampKeyHex,
  randomHex,
  validateReplies,
  validateTopics,
  type LampSettings,
  type SettingsIssue,
} from './settings.ts';
import { signPayload, verifyPayload } from './signing.ts';

export type Power = 'on' | 'off';

/** Why there is no connection to the broker. */
export type ConnectionFailure =
  /** the page is https and the URL ws://: browsers block it, so it is not tried */
  | { code: 'insecure-websocket' }
  | { code: 'invalid-settings'; issues: SettingsIssue[] }
  /** the broker refused the user name or password (CONNACK 4 or 5) */
  | { code: 'not-authorized'; returnCode: number }
  | { code: 'refused'; returnCode: number }
  /** no CONNACK within the connect timeout */
  | { code: 'timeout' }
  /** the socket closed before the broker answered: wrong URL, broker down, no network */
  | { code: 'unreachable' }
  /** it was connected and the connection dropped */
  | { code: 'lost' };

export type BrokerConnection =
  | { state: 'idle' }
  | { state: 'connecting'; attempt: number }
  | { state: 'connected'; since: number }
  /** waiting to try again; `retryAt` is a Date.now() time */
  | { state: 'reconnecting'; attempt: number; retryAt: number; reason: ConnectionFailure }
  /** not retried by itself: the settings must change first */
  | { state: 'failed'; reason: ConnectionFailure }
  | { state: 'stopped' };

/** From the retained status topic and the board's last will; unknown until one arrives. */
export type LampPresence = 'unknown' | 'online' | 'offline';

export type LampPower =
  | { state: 'unknown' }
  | { state: Power; at: number; source: 'state' | 'reply' }
  /** a command is out; `known` is what the board last said, shown again if it fails */
  | { state: 'pending'; want: Power; since: number; known: Power | null };

export interface LampReply {
  text: string;
  at: number;
  /** which command the text answers, or null for a text that is neither configured reply */
  means: Power | null;
}

export type CommandOutcome =
  | { result: 'confirmed'; command: Power; ms: number; by: 'state' | 'reply' }
  | { result: 'not-sent'; command: Power; reason: 'not-connected' | 'connection-lost' | 'publish-error' }
  | { result: 'no-answer'; command: Power; afterMs: number; presence: LampPresence }
  /** the person sent another command before this one was answered */
  | { result: 'superseded'; command: Power };

/**
 * Why a message on one of the lamp's topics was not believed:
 * `too-big` over MAX_PAYLOAD_BYTES (not even read); `malformed` not in the protocol's shape;
 * `bad-mac` shaped right but not signed with this lamp's key for this topic (a stranger);
 * `replay` the lamp's own old message again (a state whose challenge was used, an `online` from
 * a session that said `offline`).
 */
export type IgnoredReason = 'too-big' | 'bad-mac' | 'replay' | 'malformed';

/** Payload text is at most LOG_PAYLOAD_MAX_CHARS; a signed payload's MAC is shown, the key never. */
export type LogEntry =
  | { at: number; kind: 'sent'; topic: string; payload: string }
  | { at: number; kind: 'received'; topic: string; payload: string; retained: boolean }
  | { at: number; kind: 'ignored'; topic: string; reason: IgnoredReason; bytes: number }
  | { at: number; kind: 'connection'; connection: BrokerConnection }
  | { at: number; kind: 'command'; outcome: CommandOutcome };

export type RemoteEvent =
  | { type: 'connection'; connection: BrokerConnection }
  | { type: 'presence'; presence: LampPresence }
  | { type: 'power'; power: LampPower }
  | { type: 'reply'; reply: LampReply }
  | { type: 'command'; outcome: CommandOutcome }
  | { type: 'log'; entry: LogEntry };

export interface RemoteSnapshot {
  connection: BrokerConnection;
  presence: LampPresence;
  power: LampPower;
  lastReply: LampReply | null;
  lastOutcome: CommandOutcome | null;
  log: readonly LogEntry[];
  /** messages on the lamp's topics not believed since start (see IgnoredReason) */
  ignored: number;
}

export type WakeReason = 'online' | 'visible';
/** Subscribes to the page's "network back" and "page visible" signals; returns the unsubscribe. */
export type WakeSignals = (wake: (reason: WakeReason) => void) => () => void;

export interface RemoteOptions {
  settings: LampSettings;
  /** the page is served over https (ui/ passes `location.protocol === 'https:'`) */
  pageIsSecure?: boolean;
  wakeSignals?: WakeSignals;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** on a wake while connected, a ping not answered within this is a dead connection */
  livenessTimeoutMs?: number;
  /** first retry after `initialMs`, doubling up to `maxMs`, each ±20% so many phones don't retry in step */
  backoff?: { initialMs: number; maxMs: number };
  logLimit?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 8_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_LIVENESS_TIMEOUT_MS = 4_000;
export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000 } as const;
export const DEFAULT_LOG_LIMIT = 200;
/**
 * The largest payload read. The lamp's own are under 100 bytes (a signed reply: a 64-byte reply
 * text, two 16-digit challenges' worth and a 64-digit MAC); anything larger is someone else's, and
 * a public broker lets anyone send up to 256 MB.
 */
export const MAX_PAYLOAD_BYTES = 256;
export const LOG_PAYLOAD_MAX_CHARS = 256;
/** docs/contracts.md: a signed command is retried at most twice, 300 ms after a newer state. */
export const SIGNED_RETRY_AFTER_MS = 300;
export const SIGNED_MAX_RETRIES = 2;
/**
 * A signed command with no challenge to carry (anyone can overwrite or clear the retained state
 * on a public broker, so a remote opened later may find none) asks the board for its state: a
 * command signed over a random challenge is refused as stale, and a stale command makes the board
 * publish its state again (at most once a second, hence the spacing).
 */
export const SIGNED_PROBE_AFTER_MS = 1_500;
/** How many used challenges and ended sessions are remembered to spot replays; old ones age out. */
const REPLAY_MEMORY = 64;
/** A challenge or session id: 16 lowercase hex digits from os.urandom(8) on the board. */
const NONCE = /^[0-9a-f]{16}$/;
const MAC = /^[0-9a-f]{64}$/;

/** MQTT 3.1.1 CONNACK return codes for bad credentials and not authorized. */
const CONNACK_AUTH_CODES = new Set([4, 5]);

interface PendingCommand {
  want: Power;
  since: number;
  /** the broker acknowledged the publish (PUBACK): it went out */
  acked: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (outcome: CommandOutcome) => void;
  /** signed: the challenges it was sent with, oldest first; empty while it waits for one */
  challenges: string[];
  /** signed: a newer state came and this command's reply has not (yet) followed */
  retryTimer: ReturnType<typeof setTimeout> | null;
  /** signed: no challenge known yet; asks the board for its state when it fires */
  probeTimer: ReturnType<typeof setTimeout> | null;
}

export class LampRemote {
  private readonly settings: LampSettings;
  private readonly options: Required<Omit<RemoteOptions, 'wakeSignals' | 'settings'>>;
  private readonly clientId = `nyala-r-${randomHex(8)}`;
  private readonly listeners = new Set<(event: RemoteEvent) => void>();
  private client: MqttClient | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private pending: PendingCommand | null = null;
  private unsubscribeWake: (() => void) | null = null;
  private livenessTimer: ReturnType<typeof setTimeout> | null = null;
  /** the connection was dropped on purpose after a wake: reconnect without waiting */
  private reconnectAtOnce = false;
  /** signed: the key, or null for a plain lamp */
  private readonly signingKey: string | null;
  /** signed: the lamp's current challenge, from its latest verified state; null when unknown or used */
  private challenge: string | null = null;
  /** signed: challenges seen used (a reply's ch_used), so a replayed state carrying one is ignored */
  private readonly usedChallenges = new Set<string>();
  /** signed: session ids seen `offline`, so a replayed `online` of theirs is ignored */
  private readonly endedSessions = new Set<string>();
  private state: RemoteSnapshot = {
    connection: { state: 'idle' },
    presence: 'unknown',
    power: { state: 'unknown' },
    lastReply: null,
    lastOutcome: null,
    log: [],
    ignored: 0,
  };

  constructor(options: RemoteOptions) {
    this.settings = structuredClone(options.settings);
    this.signingKey = this.settings.auth.mode === 'signed' ? this.settings.auth.key : null;
    this.options = {
      pageIsSecure: options.pageIsSecure ?? false,
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      livenessTimeoutMs: options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      logLimit: options.logLimit ?? DEFAULT_LOG_LIMIT,
    };
    if (options.wakeSignals) this.unsubscribeWake = options.wakeSignals((reason) => this.wake(reason));
  }

  get snapshot(): RemoteSnapshot {
    return this.state;
  }

  /** Calls `listener` with every event from now on; returns the unsubscribe. */
  subscribe(listener: (event: RemoteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.state.connection.state !== 'idle') return;
    const problem = this.settingsProblem();
    if (problem) {
      this.setConnection({ state: 'failed', reason: problem });
      return;
    }
    this.connectNow();
  }

  /** Ends the connection for good; a pending command ends as not sent. */
  async stop(): Promise<void> {
    this.unsubscribeWake?.();
    this.unsubscribeWake = null;
    this.clearRetry();
    if (this.livenessTimer) clearTimeout(this.livenessTimer);
    this.livenessTimer = null;
    this.failPending('connection-lost');
    const client = this.client;
    this.client = null;
    this.setConnection({ state: 'stopped' });
    if (client) await client.endAsync(true);
  }

  /**
   * The network is back or the page is visible again. Reconnecting: a phone may have slept through
   * the backoff, so try at once. Connected: a phone back from the background often holds a socket
   * that died while it slept, and MQTT.js would notice only at the next keepalive (up to 1.5 × 30 s
   * later); a ping that goes unanswered ends it now.
   */
  wake(_reason: WakeReason): void {
    const state = this.state.connection.state;
    if (state === 'reconnecting') {
      this.attempt = 0;
      this.connectNow();
    } else if (state === 'connected') {
      this.checkLiveness();
    }
  }

  private checkLiveness(): void {
    const client = this.client;
    if (!client || this.livenessTimer) return;
    const done = () => {
      if (this.livenessTimer) clearTimeout(this.livenessTimer);
      this.livenessTimer = null;
      client.off('packetreceive', onPacket);
    };
    const onPacket = (packet: { cmd: string }) => {
      if (packet.cmd === 'pingresp') done();
    };
    client.on('packetreceive', onPacket);
    this.livenessTimer = setTimeout(() => {
      done();
      if (this.client !== client) return;
      this.reconnectAtOnce = true;
      client.stream.destroy();
    }, this.options.livenessTimeoutMs);
    client.sendPing();
  }

  /**
   * Publishes `on` or `off` (QoS 1) and resolves when the board confirms, or why not. A signed
   * command needs the lamp's current challenge: without one yet it waits for the lamp's state,
   * within the same timeout.
   */
  command(want: Power): Promise<CommandOutcome> {
    const client = this.client;
    if (!client || this.state.connection.state !== 'connected' || !client.connected) {
      const outcome: CommandOutcome = { result: 'not-sent', command: want, reason: 'not-connected' };
      this.finishOutcome(outcome);
      return Promise.resolve(outcome);
    }
    if (this.pending) this.endPending({ result: 'superseded', command: this.pending.want });

    const known = this.knownPower();
    return new Promise<CommandOutcome>((resolve) => {
      const since = Date.now();
      const pending: PendingCommand = {
        want,
        since,
        acked: false,
        resolve,
        timer: setTimeout(() => {
          if (this.pending !== pending) return;
          this.endPending({ result: 'no-answer', command: want, afterMs: Date.now() - since, presence: this.state.presence });
        }, this.options.commandTimeoutMs),
        challenges: [],
        retryTimer: null,
        probeTimer: null,
      };
      this.pending = pending;
      this.setPower({ state: 'pending', want, since, known });
      if (this.signingKey === null) this.publishCommand(client, pending, want);
      else if (this.challenge !== null) this.publishSigned(client, pending, this.signingKey, this.challenge);
      // else: sent by onSignedState when the lamp's state brings a challenge
      else this.scheduleProbe(pending, this.signingKey);
    });
  }

  /** While a signed command waits for a challenge, now and then ask the board to say its state. */
  private scheduleProbe(pending: PendingCommand, key: string): void {
    pending.probeTimer = setTimeout(() => {
      pending.probeTimer = null;
      const client = this.client;
      if (this.pending !== pending || pending.challenges.length > 0 || this.challenge !== null) return;
      if (client && client.connected) {
        // Not one of the command's challenges: refused as stale, it only makes the board restate.
        const payload = signPayload(key, 'cmd', this.settings.topics.command, `${pending.want} ${randomHex(16)}`);
        this.log({ at: Date.now(), kind: 'sent', topic: this.settings.topics.command, payload });
        client.publish(this.settings.topics.command, payload, { qos: 1, retain: false });
      }
      this.scheduleProbe(pending, key);
    }, SIGNED_PROBE_AFTER_MS);
  }

  /** Signs `<want> <ch>` with the lamp's key: the board accepts it once, and only with `ch` current. */
  private publishSigned(client: MqttClient, pending: PendingCommand, key: string, challenge: string): void {
    if (pending.probeTimer) clearTimeout(pending.probeTimer);
    pending.probeTimer = null;
    pending.challenges.push(challenge);
    const body = `${pending.want} ${challenge}`;
    this.publishCommand(client, pending, signPayload(key, 'cmd', this.settings.topics.command, body));
  }

  private publishCommand(client: MqttClient, pending: PendingCommand, payload: string): void {
    const want = pending.want;
    this.log({ at: Date.now(), kind: 'sent', topic: this.settings.topics.command, payload });
    // Never retained: the board ignores retained commands (one would switch it after every power cut).
    client.publish(this.settings.topics.command, payload, { qos: 1, retain: false }, (err) => {
      if (this.pending !== pending) return;
      // MQTT.js fails the publish itself when the connection closes before the PUBACK.
      const lost = this.client !== client || !client.connected;
      if (err) this.endPending({ result: 'not-sent', command: want, reason: lost ? 'connection-lost' : 'publish-error' });
      else pending.acked = true;
    });
  }

  toggle(): Promise<CommandOutcome> {
    const power = this.state.power;
    const current = power.state === 'pending' ? power.want : power.state === 'unknown' ? 'off' : power.state;
    return this.command(current === 'on' ? 'off' : 'on');
  }

  // -------------------------------------------------------------------------------------------

  private settingsProblem(): ConnectionFailure | null {
    const wsIssue = checkWebSocketUrl(this.settings.broker.ws, this.options.pageIsSecure);
    if (wsIssue?.code === 'ws-insecure-from-https') return { code: 'insecure-websocket' };
    const issues: SettingsIssue[] = [
      ...(wsIssue ? [wsIssue] : []),
      ...validateTopics(this.settings.topics),
      ...validateReplies(this.settings.replies),
    ];
    if (this.signingKey !== null && !isLampKeyHex(this.signingKey)) issues.push({ field: 'auth.key', code: 'key-invalid' });
    return issues.length > 0 ? { code: 'invalid-settings', issues } : null;
  }

  private connectNow(): void {
    this.clearRetry();
    this.attempt += 1;
    this.setConnection({ state: 'connecting', attempt: this.attempt });
    const { broker, topics } = this.settings;
    const client = mqtt.connect({
      ...brokerOptions(broker.ws),
      clientId: this.clientId,
      username: broker.user === '' ? undefined : broker.user,
      password: broker.user === '' ? undefined : broker.password,
      keepalive: broker.keepalive,
      clean: true,
      connectTimeout: this.options.connectTimeoutMs,
      // We reconnect ourselves, with a fresh client each time (see the top of this file).
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      protocolVersion: 4,
    });
    this.client = client;
    let connected = false;
    let failure: ConnectionFailure | null = null;

    client.on('connect', () => {
      if (this.client !== client) return;
      connected = true;
      this.attempt = 0;
      this.setConnection({ state: 'connected', since: Date.now() });
      // Retained status and state arrive right after this, so a remote opened later shows the truth.
      client.subscribe([topics.status, topics.state, topics.reply], { qos: 1 });
    });
    client.on('message', (topic, payload, packet) => {
      if (this.client !== client) return;
      this.onMessage(topic, payload, packet.retain);
    });
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') {
        failure = CONNACK_AUTH_CODES.has(code) ? { code: 'not-authorized', returnCode: code } : { code: 'refused', returnCode: code };
      } else if (err.message === 'connack timeout') {
        failure = { code: 'timeout' };
      }
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      // Drop this client and whatever it still holds to send; a new connection starts empty.
      client.end(true);
      this.onClosed(connected ? { code: 'lost' } : (failure ?? { code: 'unreachable' }));
    });
  }

  private onClosed(reason: ConnectionFailure): void {
    if (this.livenessTimer) clearTimeout(this.livenessTimer);
    this.livenessTimer = null;
    // A publish the broker never acknowledged may not have gone out, and will not be resent.
    if (this.pending && !this.pending.acked) this.failPending('connection-lost');
    this.setPresence('unknown');
    if (reason.code === 'not-authorized' || reason.code === 'refused') {
      this.failPending('connection-lost');
      this.setConnection({ state: 'failed', reason });
      return;
    }
    const { initialMs, maxMs } = this.options.backoff;
    const attempt = this.attempt;
    const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
    const delay = this.reconnectAtOnce ? 0 : Math.round(base * (0.8 + 0.4 * Math.random()));
    this.reconnectAtOnce = false;
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
    this.setConnection({ state: 'reconnecting', attempt, retryAt: Date.now() + delay, reason });
  }

  private onMessage(topic: string, bytes: Uint8Array, retained: boolean): void {
    const at = Date.now();
    const { topics } = this.settings;
    // Only this lamp's exact topics count, even if a broker delivers something else.
    if (topic !== topics.status && topic !== topics.state && topic !== topics.reply) return;
    if (bytes.length > MAX_PAYLOAD_BYTES) {
      this.ignore(at, topic, 'too-big', bytes.length);
      return;
    }
    const payload = new TextDecoder().decode(bytes);
    if (this.signingKey === null) this.onPlainMessage(at, topic, payload, retained);
    else this.onSignedMessage(at, topic, payload, bytes.length, retained, this.signingKey);
  }

  /** The tutorial's protocol: anyone on the broker could have sent this, and the UI says so. */
  private onPlainMessage(at: number, topic: string, payload: string, retained: boolean): void {
    const { topics, replies } = this.settings;
    this.log({ at, kind: 'received', topic, payload, retained });
    if (topic === topics.status) {
      if (payload === 'online' || payload === 'offline') this.setPresence(payload);
    } else if (topic === topics.state) {
      if (payload === 'on' || payload === 'off') this.boardSays(payload, 'state', at);
    } else {
      const means: Power | null = payload === replies.on ? 'on' : payload === replies.off ? 'off' : null;
      const reply: LampReply = { text: payload, at, means };
      this.state = { ...this.state, lastReply: reply };
      this.emit({ type: 'reply', reply });
      if (means) this.boardSays(means, 'reply', at);
    }
  }

  private onSignedMessage(at: number, topic: string, payload: string, size: number, retained: boolean, key: string): void {
    const { topics } = this.settings;
    let why: IgnoredReason | null;
    if (topic === topics.state) why = this.onSignedState(at, topic, payload, retained, key);
    else if (topic === topics.status) why = this.onSignedStatus(at, topic, payload, retained, key);
    else why = this.onSignedReply(at, topic, payload, retained, key);
    if (why !== null) this.ignore(at, topic, why, size);
  }

  /**
   * `<ch> <mac>`, the MAC over `<on|off> <ch>`: only a key holder can tell on from off, so both
   * are tried. It brings the challenge the next command must carry.
   */
  private onSignedState(at: number, topic: string, payload: string, retained: boolean, key: string): IgnoredReason | null {
    const parts = payload.split(' ');
    const [ch, mac] = parts;
    if (parts.length !== 2 || ch === undefined || mac === undefined || !NONCE.test(ch) || !MAC.test(mac)) return 'malformed';
    const matches = (['on', 'off'] as const).filter((p) => verifyPayload(key, 'state', topic, `${p} ${ch} ${mac}`) !== null);
    const power = matches[0];
    if (power === undefined) return 'bad-mac';
    if (this.usedChallenges.has(ch)) return 'replay';
    this.log({ at, kind: 'received', topic, payload, retained });
    this.challenge = ch;
    const pending = this.pending;
    const client = this.client;
    if (pending && client) {
      if (pending.challenges.length === 0) {
        this.publishSigned(client, pending, key, ch);
      } else if (!pending.challenges.includes(ch) && pending.retryTimer === null) {
        // The lamp moved on to a newer challenge. If our reply does not follow (another phone's
        // command used the challenge ours carried, or ours was sent with an old one), send again.
        pending.retryTimer = setTimeout(() => this.retrySigned(pending, key), SIGNED_RETRY_AFTER_MS);
      }
    }
    // A signed state never confirms a command: another phone's command could have caused it.
    this.boardSays(power, 'state', at, false);
    return null;
  }

  private retrySigned(pending: PendingCommand, key: string): void {
    pending.retryTimer = null;
    const client = this.client;
    const ch = this.challenge;
    if (this.pending !== pending || !client || !client.connected || ch === null) return;
    if (pending.challenges.includes(ch) || pending.challenges.length > SIGNED_MAX_RETRIES) return;
    this.publishSigned(client, pending, key, ch);
  }

  /** `<text> <ch_used> <mac>`: the lamp did what a command carrying `ch_used` asked. */
  private onSignedReply(at: number, topic: string, payload: string, retained: boolean, key: string): IgnoredReason | null {
    const signed = verifyPayload(key, 'reply', topic, payload);
    if (signed === null) return MAC.test(payload.slice(payload.lastIndexOf(' ') + 1)) ? 'bad-mac' : 'malformed';
    const space = signed.body.lastIndexOf(' ');
    const text = signed.body.slice(0, Math.max(0, space));
    const used = signed.body.slice(space + 1);
    if (space < 0 || !NONCE.test(used)) return 'malformed';
    this.log({ at, kind: 'received', topic, payload, retained });
    this.remember(this.usedChallenges, used);
    if (this.challenge === used) this.challenge = null;

    const { replies } = this.settings;
    const means: Power | null = text === replies.on ? 'on' : text === replies.off ? 'off' : null;
    const reply: LampReply = { text, at, means };
    this.state = { ...this.state, lastReply: reply };
    this.emit({ type: 'reply', reply });
    if (means) this.boardSays(means, 'reply', at, this.pending?.challenges.includes(used) ?? false);
    return null;
  }

  /** `online <sid> <mac>` or the last will `offline <sid> <mac>`. */
  private onSignedStatus(at: number, topic: string, payload: string, retained: boolean, key: string): IgnoredReason | null {
    const signed = verifyPayload(key, 'status', topic, payload);
    if (signed === null) return MAC.test(payload.slice(payload.lastIndexOf(' ') + 1)) ? 'bad-mac' : 'malformed';
    const [word, sid, ...rest] = signed.body.split(' ');
    if (rest.length > 0 || sid === undefined || !NONCE.test(sid) || (word !== 'online' && word !== 'offline')) return 'malformed';
    if (word === 'online' && this.endedSessions.has(sid)) return 'replay';
    this.log({ at, kind: 'received', topic, payload, retained });
    if (word === 'offline') this.remember(this.endedSessions, sid);
    this.setPresence(word);
    return null;
  }

  private remember(set: Set<string>, value: string): void {
    set.delete(value);
    set.add(value);
    // A Set iterates in insertion order: the first is the oldest.
    for (const old of set) {
      if (set.size <= REPLAY_MEMORY) break;
      set.delete(old);
    }
  }

  private ignore(at: number, topic: string, reason: IgnoredReason, bytes: number): void {
    this.state = { ...this.state, ignored: this.state.ignored + 1 };
    this.log({ at, kind: 'ignored', topic, reason, bytes });
  }

  /**
   * The board reported its lamp. `confirms` (a plain lamp's state or reply, a signed lamp's reply
   * to this very command) ends a pending command that asked for this; otherwise it is the truth
   * to show, or to fall back to if the pending command fails.
   */
  private boardSays(power: Power, source: 'state' | 'reply', at: number, confirms = true): void {
    const pending = this.pending;
    if (pending && pending.want === power && confirms) {
      this.pending = null;
      clearTimeout(pending.timer);
      clearSignedTimers(pending);
      this.setPower({ state: power, at, source });
      const outcome: CommandOutcome = { result: 'confirmed', command: power, ms: at - pending.since, by: source };
      this.finishOutcome(outcome);
      pending.resolve(outcome);
    } else if (pending) {
      // An answer to an earlier command; keep waiting for this one, but remember the truth.
      const current = this.state.power;
      if (current.state === 'pending') this.setPower({ ...current, known: power });
    } else {
      this.setPower({ state: power, at, source });
    }
  }

  private failPending(reason: 'connection-lost'): void {
    if (this.pending) this.endPending({ result: 'not-sent', command: this.pending.want, reason });
  }

  /** Ends the pending command without a confirmation and shows the last known state again. */
  private endPending(outcome: CommandOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    clearSignedTimers(pending);
    const power = this.state.power;
    if (power.state === 'pending') {
      this.setPower(power.known ? { state: power.known, at: Date.now(), source: 'state' } : { state: 'unknown' });
    }
    this.finishOutcome(outcome);
    pending.resolve(outcome);
  }

  private knownPower(): Power | null {
    const p = this.state.power;
    return p.state === 'pending' ? p.known : p.state === 'unknown' ? null : p.state;
  }

  private finishOutcome(outcome: CommandOutcome): void {
    this.state = { ...this.state, lastOutcome: outcome };
    this.emit({ type: 'command', outcome });
    this.log({ at: Date.now(), kind: 'command', outcome });
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setConnection(connection: BrokerConnection): void {
    this.state = { ...this.state, connection };
    this.emit({ type: 'connection', connection });
    this.log({ at: Date.now(), kind: 'connection', connection });
  }

  private setPresence(presence: LampPresence): void {
    if (this.state.presence === presence) return;
    this.state = { ...this.state, presence };
    this.emit({ type: 'presence', presence });
  }

  private setPower(power: LampPower): void {
    this.state = { ...this.state, power };
    this.emit({ type: 'power', power });
  }

  private log(entry: LogEntry): void {
    if ((entry.kind === 'sent' || entry.kind === 'received') && entry.payload.length > LOG_PAYLOAD_MAX_CHARS) {
      entry = { ...entry, payload: entry.payload.slice(0, LOG_PAYLOAD_MAX_CHARS) };
    }
    const log = [...this.state.log, entry];
    if (log.length > this.options.logLimit) log.splice(0, log.length - this.options.logLimit);
    this.state = { ...this.state, log };
    this.emit({ type: 'log', entry });
  }

  private emit(event: RemoteEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/**
 * The broker's address as MQTT.js's connect options, parsed with the WHATWG URL: what MQTT.js
 * would take from the URL string with Node's url.parse (scheme, host, port, path with query,
 * user:password), which the browser build leaves out. No port means MQTT.js's 80 (ws) or 443
 * (wss), as a URL without one means. Only ws: and wss: reach here (settingsProblem checks).
 */
export function brokerOptions(wsUrl: string): IClientOptions {
  const url = new URL(wsUrl);
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'ws' && protocol !== 'wss') throw new Error(`not a WebSocket URL: ${protocol}`);
  const options: IClientOptions = { protocol, hostname: url.hostname, host: url.hostname, path: url.pathname + url.search };
  if (url.port !== '') options.port = Number(url.port);
  // url.parse gave MQTT.js user:password from the address, and it let them win over the options.
  if (url.username !== '') {
    options.auth = decodeURIComponent(url.username) + (url.password === '' ? '' : `:${decodeURIComponent(url.password)}`);
  }
  return options;
}

function clearSignedTimers(pending: PendingCommand): void {
  if (pending.retryTimer) clearTimeout(pending.retryTimer);
  if (pending.probeTimer) clearTimeout(pending.probeTimer);
  pending.retryTimer = pending.probeTimer = null;
}
