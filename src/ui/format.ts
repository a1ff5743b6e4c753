// Numbers and durations in the page's language, by Intl (no hand-made separators or units):
// 921.600 and 18,3 dtk in Indonesian, 921,600 and 18.3 sec in English.
import { lang } from './locale.ts';

/** A number with the language's grouping and decimal mark: formatNumber(921600) → 921.600 (id). */
export function formatNumber(n: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(lang(), { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }).format(n);
}

/** Seconds with the language's short unit: formatDuration(18.3, 1) → 18,3 dtk (id), 18.3 sec (en). */
export function formatDuration(seconds: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(lang(), {
    style: 'unit',
    unit: 'second',
    unitDisplay: 'short',
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(seconds);
}

/** A countdown: 1:05 past a minute, else the seconds with their unit (42 dtk). */
export function formatSecondsLeft(s: number): string {
  const total = Math.max(0, Math.round(s));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m > 0 ? `${m}:${String(sec).padStart(2, '0')}` : formatDuration(sec);
}
