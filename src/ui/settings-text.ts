// Settings and pairing problems as sentences. Apart from remote-text.ts because only the settings
// form and the pairing confirmation need them, and both load when used.
import type { PairingIssue } from '../lamp/pairing.ts';
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

