// All of the app's strings, in Bahasa Indonesia and English. Sections live in ./sections, one per
// part of the app; add a section here and both languages must be complete or tsc fails.
import { LANGS, type Lang } from './types.ts';
import { shell } from './sections/shell.ts';
import { support } from './sections/support.ts';
import { install } from './sections/install.ts';
import { console_ } from './sections/console.ts';
import { flash, flashErrors } from './sections/flash.ts';
import { remote } from './sections/remote.ts';
import { upload, uploadErrors, bootHints } from './sections/upload.ts';
import { board } from './sections/board.ts';

const sections = { shell, support, install, flash, flashErrors, upload, uploadErrors, bootHints, board, remote, console: console_ };

type Sections = typeof sections;
export type Strings = { [K in keyof Sections]: Sections[K]['en'] };

const dictionaries: Record<Lang, Strings> = {
  en: pick('en'),
  id: pick('id') as Strings,
};

function pick(lang: Lang) {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(sections)) out[name] = s[lang];
  return out as Strings;
}

export function strings(lang: Lang): Strings {
  return dictionaries[lang];
}

/** The language to start in: a remembered choice, else the browser's first language we have. */
export function pickLang(remembered: string | null, browserLangs: readonly string[]): Lang {
  if (remembered && (LANGS as readonly string[]).includes(remembered)) return remembered as Lang;
  for (const tag of browserLangs) {
    const base = tag.toLowerCase().split('-')[0];
    // "in" is the old ISO 639 code some Android versions still report for Indonesian.
    if (base === 'id' || base === 'in') return 'id';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export { LANGS, type Lang };
