// Codes from src/lamp/ become sentences here, in the page's language. A switch on each union, so
// a new code in lamp/ is a compile error until it has its sentence.
import type { BrokerConnection, CommandOutcome, ConnectionFailure, IgnoredReason, LampPresence, LogEntry } from '../lamp/remote.ts';
import { lang, t } from './locale.ts';
import { formatNumber } from './format.ts';

export function failureText(f: ConnectionFailure): string {
  const s = t().remote;
  switch (f.code) {
    case 'insecure-websocket':
      return s.failInsecure;
    case 'invalid-settings':
      return s.failInvalid;
    case 'not-authorized':
      return s.failAuth;
    case 'refused':
      return s.failRefused(f.returnCode);
    case 'timeout':
      return s.failTimeout;
    case 'unreachable':
      return s.failUnreachable;
    case 'lost':
      return s.failLost;
  }
}

export function connectionText(c: BrokerConnection, now = Date.now()): string {
  const s = t().remote;
  switch (c.state) {
    case 'idle':
      return s.connIdle;
    case 'connecting':
      return s.connConnecting(c.attempt);
    case 'connected':
      return s.connConnected;
    case 'reconnecting':
      return s.connReconnecting(Math.max(0, Math.ceil((c.retryAt - now) / 1000)));
    case 'failed':
      return s.connFailed;
    case 'stopped':
      return s.connStopped;
  }
}

export function presenceText(p: LampPresence): string {
  const s = t().remote;
  switch (p) {
    case 'online':
      return s.online;
    case 'offline':
      return s.offline;
    case 'unknown':
      return s.presenceUnknown;
  }
}

export function outcomeText(o: CommandOutcome): string {
  const s = t().remote;
  switch (o.result) {
    case 'confirmed':
      return s.outcomeConfirmed(formatNumber(Math.round(o.ms)));
    case 'not-sent':
      return o.reason === 'not-connected' ? s.outcomeNotSentOffline : o.reason === 'connection-lost' ? s.outcomeNotSentLost : s.outcomeNotSentError;
    case 'no-answer':
      return o.presence === 'offline' ? s.outcomeNoAnswerOffline : s.outcomeNoAnswer;
    case 'superseded':
      return s.outcomeSuperseded;
  }
}

/** The time of day in the page's language (18.03.05 in Indonesian, 18:03:05 in English), 24-hour,
 *  no milliseconds: a log needs the order and the gaps, not the date. */
export function clock(at: number): string {
  return new Intl.DateTimeFormat(lang(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(at);
}

/** When a lamp was last seen: the time alone today, else the day and the time. */
export function seenAt(at: number, now = Date.now()): string {
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  return new Intl.DateTimeFormat(lang(), sameDay ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

/** One line of the copyable log. */
export function logLine(e: LogEntry): string {
  switch (e.kind) {
    case 'sent':
      return `${clock(e.at)} → ${e.topic} ${e.payload}`;
    case 'received':
      return `${clock(e.at)} ← ${e.topic} ${e.payload}${e.retained ? ` (${t().remote.logRetained})` : ''}`;
    case 'connection':
      return `${clock(e.at)} · ${t().remote.logConnection(connectionText(e.connection, e.at))}${
        e.connection.state === 'failed' || e.connection.state === 'reconnecting' ? ` — ${failureText(e.connection.reason)}` : ''
      }`;
    case 'command':
      return `${clock(e.at)} · ${e.outcome.command}: ${outcomeText(e.outcome)}`;
    case 'ignored':
      // The payload is not shown: it is not the lamp's, and may be big or binary.
      return `${clock(e.at)} ✕ ${e.topic} ${t().remote.logIgnored(ignoredReasonText(e.reason), e.bytes)}`;
  }
}

/** Why a signed lamp's remote did not believe a message. */
export function ignoredReasonText(reason: IgnoredReason): string {
  const s = t().remote;
  switch (reason) {
    case 'too-big':
      return s.ignoredTooBig;
    case 'bad-mac':
      return s.ignoredBadMac;
    case 'replay':
      return s.ignoredReplay;
    case 'malformed':
      return s.ignoredMalformed;
  }
}
