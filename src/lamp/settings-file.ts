// Lamps as a JSON file to export and import (the storage format, with secrets left out unless
// asked for). Apart from settings-store.ts because the page loads it only when used.
import { EXPORT_FORMAT, EXPORT_VERSION, isRecord, readLamp, withoutSecrets, type LampsFile } from './settings-store.ts';
import { validateSettings, type LampSettings, type SettingsIssue } from './settings.ts';

export interface ExportOptions {
  /** include the secrets each lamp's `remember` allows; false leaves every secret out */
  includeSecrets: boolean;
}

export function exportLamps(lamps: readonly LampSettings[], options: ExportOptions): string {
  const file: LampsFile = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    lamps: lamps.map((l) =>
      withoutSecrets(l, options.includeSecrets ? l.remember : { brokerCredentials: false, wifiPassword: false }),
    ),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

export type ImportIssue =
  | { code: 'json-syntax' }
  | { code: 'json-format' }
  | { code: 'json-version'; version: unknown }
  | { code: 'json-field'; lamp: number; path: string }
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
