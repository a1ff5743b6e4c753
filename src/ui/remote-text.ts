// Codes from src/lamp/ become sentences here, in the page's language. A switch on each union, so
// a new code in lamp/ is a compile error until it has its sentence.
import type { PairingIssue } from '../lamp/pairing.ts';
import type { BrokerConnection, CommandOutcome, ConnectionFailure, LampPresence, LogEntry } from '../lamp/remote.ts';
import type { SettingsIssue } from '../lamp/settings.ts';
import { t } from './locale.ts';

export function issueText(issue: SettingsIssue): string {
  const s = t().remote;
  switch (issue.code) {
    case 'empty':
      return s.errEmpty;
    case 'too-long':
      return s.errTooLong(issue.max, issue.unit);
    case 'too-short':
      return s.errTooShort(issue.min);
    case 'topic-wildcard':
      return s.errWildcard(issue.char);
    case 'topic-reserved':
      return s.errReserved;
    case 'topic-duplicate':
      return s.errDuplicate(topicName(issue.other));
    case 'control-char':
      return s.errControl;
    case 'replies-equal':
      return s.errRepliesEqual;
    case 'out-of-range':
      return s.errRange(issue.min, issue.max);
    case 'host-invalid':
      return s.errHost;
    case 'ws-url-invalid':
      return s.errWsUrl;
    case 'ws-url-scheme':
      return s.errWsScheme(issue.scheme);
    case 'ws-insecure-from-https':
      return s.errWsInsecure;
    case 'device-id-invalid':
      return s.errDeviceId;
    case 'wifi-password-length':
      return s.errWifiPassword(issue.min, issue.max);
  }
}

export function topicName(kind: 'command' | 'reply' | 'status' | 'state'): string {
  const s = t().remote;
  return { command: s.topicCommand, reply: s.topicReply, status: s.topicStatus, state: s.topicState }[kind];
}

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
      return s.outcomeConfirmed(Math.round(o.ms));
    case 'not-sent':
      return o.reason === 'not-connected' ? s.outcomeNotSentOffline : o.reason === 'connection-lost' ? s.outcomeNotSentLost : s.outcomeNotSentError;
    case 'no-answer':
      return o.presence === 'offline' ? s.outcomeNoAnswerOffline : s.outcomeNoAnswer;
    case 'superseded':
      return s.outcomeSuperseded;
  }
}

export function pairingIssueText(issue: PairingIssue): string {
  const s = t().remote;
  switch (issue.code) {
    case 'not-a-pairing-link':
      return s.pairNotLink;
    case 'unsupported-version':
      return s.pairVersion;
    case 'missing':
      return s.pairMissing(issue.param);
    case 'bad-number':
      return s.pairBadNumber(issue.param);
    case 'invalid':
      return `${fieldLabel(issue.issue.field)}: ${issueText(issue.issue)}`;
  }
}

export function fieldLabel(field: SettingsIssue['field']): string {
  const s = t().remote;
  switch (field) {
    case 'name':
      return s.name;
    case 'broker.ws':
      return s.wsUrl;
    case 'broker.host':
      return s.host;
    case 'broker.port':
      return s.port;
    case 'broker.user':
      return s.user;
    case 'broker.password':
      return s.password;
    case 'topics.command':
    case 'topics.reply':
    case 'topics.status':
    case 'topics.state':
      return `${s.topics} · ${topicName(field.slice('topics.'.length) as 'command')}`;
    case 'replies.on':
      return s.replyOn;
    case 'replies.off':
      return s.replyOff;
    default:
      return field;
  }
}

/** hh:mm:ss.mmm in local time: a log needs the order and the gaps, not the date. */
export function clock(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** One line of the copyable log. */
export function logLine(e: LogEntry): string {
  switch (e.kind) {
    case 'sent':
      return `${clock(e.at)} → ${e.topic} ${e.payload}`;
    case 'received':
      return `${clock(e.at)} ← ${e.topic} ${e.payload}${e.retained ? ' (retained)' : ''}`;
    case 'connection':
      return `${clock(e.at)} · ${t().remote.logConnection(connectionText(e.connection, e.at))}${
        e.connection.state === 'failed' || e.connection.state === 'reconnecting' ? ` — ${failureText(e.connection.reason)}` : ''
      }`;
    case 'command':
      return `${clock(e.at)} · ${e.outcome.command}: ${outcomeText(e.outcome)}`;
  }
}
