// Settings and pairing problems as sentences. Apart from remote-text.ts because only the settings
// form and the pairing confirmation need them, and both load when used.
import type { PairingIssue } from '../lamp/pairing.ts';
import type { ImportIssue } from '../lamp/settings-file.ts';
import type { ReservedPinReason, SettingsIssue } from '../lamp/settings.ts';
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
    case 'pin-reserved':
      return pinReservedText(issue.pin, issue.reason);
    case 'key-invalid':
      return s.errKeyInvalid;
    case 'board-refused':
      return `${issue.again ? `${t().upload.refusedAgain} ` : ''}${t().bootHints[issue.reason]}`;
  }
}

/** Why a pin cannot take the lamp. Only the board form checks pins, and it loads the board strings. */
function pinReservedText(pin: number, reason: ReservedPinReason): string {
  const b = t().board;
  switch (reason) {
    case 'uart':
      return b.pinUart(pin);
    case 'flash':
      return b.pinFlash(pin);
    case 'input-only':
      return b.pinInputOnly(pin);
  }
}

export function topicName(kind: 'command' | 'reply' | 'status' | 'state'): string {
  const s = t().remote;
  return { command: s.topicCommand, reply: s.topicReply, status: s.topicStatus, state: s.topicState }[kind];
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
    case 'bad-key':
      return s.pairBadKey;
    case 'invalid':
      return `${fieldLabel(issue.issue.field)}: ${issueText(issue.issue)}`;
  }
}

/** Why an exported file could not be imported, one sentence per problem. Lamps count from 1. */
export function importIssueText(issue: ImportIssue): string {
  const s = t().remote;
  switch (issue.code) {
    case 'json-syntax':
      return s.importNotJson;
    case 'json-format':
      return s.importNotLamps;
    case 'json-version':
      return s.importVersion;
    case 'json-field':
      return s.importField(issue.lamp + 1, issue.path);
    case 'missing-key':
      return s.importMissingKey(issue.name || String(issue.lamp + 1));
    case 'invalid-lamp':
      return s.importInvalid(issue.lamp + 1, issue.issues.map((i) => `${fieldLabel(i.field)}: ${issueText(i)}`).join(' '));
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
    case 'auth.key':
      return s.lampKey;
    default:
      return field;
  }
}

