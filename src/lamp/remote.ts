// The lamp's remote over MQTT-over-WebSocket (MQTT.js), for one lamp. No DOM: the page hands in
// whether it is served over https and a way to hear "the network is back" / "the page is visible".
//
// What it promises the person:
// - a command is published only while connected; otherwise it is reported as not sent, at once;
// - a command is never delivered later behind their back: every connection is a fresh MQTT.js
//   client with an empty outgoing store, so a QoS 1 publish that was cut off is not resent on
//   reconnect (MQTT.js would resend it if the same client reconnected);
// - a command stays pending until the board confirms it (retained state or reply), else it ends
//   as "no answer" after a timeout.
// The browser build of MQTT.js (dist/mqtt.esm.js) has only a default export.
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import {
  checkWebSocketUrl,
  randomHex,
  validateReplies,
  validateTopics,
  type LampSettings,
  type SettingsIssue,
} from './settings.ts';

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

export type LogEntry =
  | { at: number; kind: 'sent'; topic: string; payload: string }
  | { at: number; kind: 'received'; topic: string; payload: string; retained: boolean }
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

/** MQTT 3.1.1 CONNACK return codes for bad credentials and not authorized. */
const CONNACK_AUTH_CODES = new Set([4, 5]);

interface PendingCommand {
  want: Power;
  since: number;
  /** the broker acknowledged the publish (PUBACK): it went out */
  acked: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (outcome: CommandOutcome) => void;
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
  private state: RemoteSnapshot = {
    connection: { state: 'idle' },
    presence: 'unknown',
    power: { state: 'unknown' },
    lastReply: null,
    lastOutcome: null,
    log: [],
  };

  constructor(options: RemoteOptions) {
    this.settings = structuredClone(options.settings);
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

  /** Publishes `on` or `off` (QoS 1) and resolves when the board confirms, or why not. */
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
      };
      this.pending = pending;
      this.setPower({ state: 'pending', want, since, known });
      this.log({ at: since, kind: 'sent', topic: this.settings.topics.command, payload: want });
      client.publish(this.settings.topics.command, want, { qos: 1, retain: false }, (err) => {
        if (this.pending !== pending) return;
        // MQTT.js fails the publish itself when the connection closes before the PUBACK.
        const lost = this.client !== client || !client.connected;
        if (err) this.endPending({ result: 'not-sent', command: want, reason: lost ? 'connection-lost' : 'publish-error' });
        else pending.acked = true;
      });
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
    const issues = [...(wsIssue ? [wsIssue] : []), ...validateTopics(this.settings.topics), ...validateReplies(this.settings.replies)];
    return issues.length > 0 ? { code: 'invalid-settings', issues } : null;
  }

  private connectNow(): void {
    this.clearRetry();
    this.attempt += 1;
    this.setConnection({ state: 'connecting', attempt: this.attempt });
    const { broker, topics } = this.settings;
    const client = mqtt.connect(broker.ws, {
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
      this.onMessage(topic, payload.toString(), packet.retain);
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

  private onMessage(topic: string, payload: string, retained: boolean): void {
    const at = Date.now();
    const { topics, replies } = this.settings;
    // Only this lamp's exact topics count, even if a broker delivers something else.
    if (topic !== topics.status && topic !== topics.state && topic !== topics.reply) return;
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

  /** The board reported its lamp: it confirms a pending command only if it is what was asked. */
  private boardSays(power: Power, source: 'state' | 'reply', at: number): void {
    const pending = this.pending;
    if (pending && pending.want === power) {
      this.pending = null;
      clearTimeout(pending.timer);
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
    const log = [...this.state.log, entry];
    if (log.length > this.options.logLimit) log.splice(0, log.length - this.options.logLimit);
    this.state = { ...this.state, log };
    this.emit({ type: 'log', entry });
  }

  private emit(event: RemoteEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
