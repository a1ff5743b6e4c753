// All of the app's strings, in Bahasa Indonesia and English. What every page needs (shell,
// support, remote, board) is one module per language (./en, ./id), loaded with loadLang(): a
// phone downloads only the language it shows. The installer's sections (./installer.ts, both
// languages in one file) arrive with the installer's lazy chunk and register themselves here.
// Either way a missing or mistyped translation fails tsc.
import { LANGS, type Lang } from './types.ts';
import type { Core } from './en/index.ts';
import type { installerSections } from './installer.ts';

type Installer = typeof installerSections;
export type Strings = Core & { [K in keyof Installer]: Installer[K]['en'] };

type LangModule = { core: Core; url: string };

/** Each language's chunk; the Indonesian one must match the English shape (../id/index.ts). */
const modules: Record<Lang, () => Promise<LangModule>> = {
  en: () => import('./en/index.ts'),
  id: () => import('./id/index.ts'),
};

const dictionaries: Partial<Record<Lang, Strings>> = {};
/** Sections registered by lazy chunks, for languages loaded after them. */
const registered: Record<string, { en: unknown; id: unknown }>[] = [];

function pick(sections: Record<string, { en: unknown; id: unknown }>, lang: Lang): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(sections)) out[name] = s[lang];
  return out;
}

/** Loads a language (once); resolves with its chunk's address. Rejects when it cannot be fetched. */
export async function loadLang(lang: Lang): Promise<string> {
  const mod = await modules[lang]();
  if (!dictionaries[lang]) {
    const dict: Record<string, unknown> = { ...mod.core };
    for (const sections of registered) Object.assign(dict, pick(sections, lang));
    dictionaries[lang] = dict as Strings;
  }
  return mod.url;
}

/** Add sections that load later (installer.ts calls this as its chunk loads). */
export function registerSections(sections: Record<string, { en: unknown; id: unknown }>): void {
  registered.push(sections);
  for (const lang of LANGS) {
    const dict = dictionaries[lang];
    if (dict) Object.assign(dict, pick(sections, lang));
  }
}

/** A loaded language's strings (loadLang first). */
export function strings(lang: Lang): Strings {
  const dict = dictionaries[lang];
  if (!dict) throw new Error(`the ${lang} strings are not loaded (loadLang)`);
  return dict;
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
