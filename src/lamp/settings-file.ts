// Lamps as a JSON file to export and import (the storage format, with secrets left out unless
// asked for). Apart from settings-store.ts because the page loads it only when used.
// A signed lamp's key is a secret of its own: whoever holds it can switch the lamp, so an export
// carries it only when the person opts in, and a file without it imports as "missing key".
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  isRecord,
  lacksKey,
  readLamp,
  withoutKey,
  withoutSecrets,
  type LampsFile,
} from './settings-store.ts';
import { validateSettings, type LampSettings, type SettingsIssue } from './settings.ts';

export interface ExportOptions {
  /** include the secrets each lamp's `remember` allows; false leaves every secret out */
  includeSecrets: boolean;
  /** include each signed lamp's signing key (whoever has the file can then switch the lamp) */
  includeKeys: boolean;
}

export function exportLamps(lamps: readonly LampSettings[], options: ExportOptions): string {
  const file: LampsFile = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    lamps: lamps.map((l) => {
      const kept = withoutSecrets(l, options.includeSecrets ? l.remember : { brokerCredentials: false, wifiPassword: false });
      return options.includeKeys ? kept : withoutKey(kept);
    }),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

export type ImportIssue =
  | { code: 'json-syntax' }
  | { code: 'json-format' }
  | { code: 'json-version'; version: unknown }
  | { code: 'json-field'; lamp: number; path: string }
  /** a signed lamp exported without its key: it cannot be switched from here until paired again */
  | { code: 'missing-key'; lamp: number; name: string }
  | { code: 'invalid-lamp'; lamp: number; issues: SettingsIssue[] };

export type ImportResult = { ok: true; lamps: LampSettings[] } | { ok: false; issues: ImportIssue[] };

/** Reads an exported file; every lamp is shape-checked and validated for use as a remote. */
export function importLamps(text: string): ImportResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, issues: [{ code: 'json-syntax' }] };
  }
  if (!isRecord(data) || data.format !== EXPORT_FORMAT || !Array.isArray(data.lamps)) {
    return { ok: false, issues: [{ code: 'json-format' }] };
  }
  if (data.version !== EXPORT_VERSION) return { ok: false, issues: [{ code: 'json-version', version: data.version }] };

  const issues: ImportIssue[] = [];
  const lamps: LampSettings[] = [];
  data.lamps.forEach((raw: unknown, index: number) => {
    if (lacksKey(raw)) {
      const name = isRecord(raw) && typeof raw.name === 'string' ? raw.name : '';
      issues.push({ code: 'missing-key', lamp: index, name });
      return;
    }
    const read = readLamp(raw);
    if (typeof read === 'string') {
      issues.push({ code: 'json-field', lamp: index, path: read });
      return;
    }
    const invalid = validateSettings(read, { purpose: 'remote' });
    if (invalid.length > 0) issues.push({ code: 'invalid-lamp', lamp: index, issues: invalid });
    else lamps.push(read);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, lamps };
}
