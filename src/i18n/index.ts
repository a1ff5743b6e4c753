// All of the app's strings, in Bahasa Indonesia and English. Sections live in ./sections, one per
// part of the app; add a section here and both languages must be complete or tsc fails.
import { LANGS, type Lang } from './types.ts';
import { shell } from './sections/shell.ts';
import { support } from './sections/support.ts';
import { remote } from './sections/remote.ts';
import type { installerSections } from './installer.ts';

/** What every page needs. The installer's sections (installer.ts) arrive with the installer's
 *  lazy chunk, so a phone that opens the remote never downloads them. */
const coreSections = { shell, support, remote };

type Sections = typeof coreSections & typeof installerSections;
export type Strings = { [K in keyof Sections]: Sections[K]['en'] };

const dictionaries: Record<Lang, Strings> = { en: pick(coreSections, 'en'), id: pick(coreSections, 'id') };

function pick(sections: Record<string, { en: unknown; id: unknown }>, lang: Lang): Strings {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(sections)) out[name] = s[lang];
  return out as Strings;
}

/** Add sections that load later (installer.ts calls this as its chunk loads). */
export function registerSections(sections: Record<string, { en: unknown; id: unknown }>): void {
  for (const lang of LANGS) Object.assign(dictionaries[lang], pick(sections, lang));
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
