import { beforeAll, describe, expect, it } from 'vitest';
import { loadLang, pickLang, strings } from '../../src/i18n/index.ts';
import '../../src/i18n/installer.ts';

describe('language choice', () => {
  it('takes a remembered choice first', () => {
    expect(pickLang('en', ['id-ID'])).toBe('en');
    expect(pickLang('id', ['en-US'])).toBe('id');
  });

  it('ignores a remembered value we do not have', () => {
    expect(pickLang('fr', ['id-ID'])).toBe('id');
  });

  it('reads the browser languages in order, including the old "in" code for Indonesian', () => {
    expect(pickLang(null, ['fr-FR', 'in-ID', 'en'])).toBe('id');
    expect(pickLang(null, ['de', 'en-GB', 'id'])).toBe('en');
    expect(pickLang(null, ['ja'])).toBe('en');
  });
});

/** A message function takes strings or numbers; try the one it accepts. */
function call(fn: (...a: unknown[]) => string): string {
  try {
    return fn('esp32', 'esp8266', 'x');
  } catch {
    return fn(4 * 1024 * 1024, 2, 3);
  }
}

describe('dictionaries', () => {
  beforeAll(async () => {
    await loadLang('en');
    await loadLang('id');
  });

  it('have the same keys in both languages and no empty text', () => {
    const en = strings('en');
    const id = strings('id');
    for (const [name, sec] of Object.entries(en)) {
      const other = (id as unknown as Record<string, Record<string, unknown>>)[name];
      expect(Object.keys(other ?? {}).sort(), name).toEqual(Object.keys(sec).sort());
      for (const [key, msg] of Object.entries(sec as Record<string, unknown>)) {
        const text = typeof msg === 'function' ? call(msg as (...a: unknown[]) => string) : msg;
        expect(String(text).trim().length, `${name}.${key}`).toBeGreaterThan(0);
      }
    }
  });

  it('keep each language in its own module: neither holds the other’s text', async () => {
    const { core: en } = await import('../../src/i18n/en/index.ts');
    const { core: id } = await import('../../src/i18n/id/index.ts');
    expect(strings('en').remote).toBe(en.remote);
    expect(strings('id').remote).toBe(id.remote);
    expect(JSON.stringify(en)).not.toContain(id.remote.intro);
    expect(JSON.stringify(id)).not.toContain(en.remote.intro);
  });

  it('are really translated: the Indonesian install title differs from the English one', () => {
    expect(strings('id').install.title).not.toBe(strings('en').install.title);
    expect(strings('id').shell.navInstall).toBe('Pasang');
  });
});
