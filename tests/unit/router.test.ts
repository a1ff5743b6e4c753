import { describe, expect, it } from 'vitest';
import { hrefFor, parseHash } from '../../src/ui/router.ts';

describe('hash routes', () => {
  it('reads each view of the contract', () => {
    for (const v of ['install', 'remote', 'console', 'pair'] as const) {
      expect(parseHash(`#/${v}`, 'install')).toMatchObject({ view: v, unknown: false });
    }
  });

  it('falls back on an empty hash and marks an unknown one', () => {
    expect(parseHash('', 'remote')).toMatchObject({ view: 'remote', unknown: false });
    expect(parseHash('#/', 'install')).toMatchObject({ view: 'install', unknown: false });
    expect(parseHash('#/flash-all-the-things', 'install')).toMatchObject({ view: 'install', unknown: true });
  });

  it('keeps the pairing query exactly, including encoded & # ? and unicode', () => {
    const params = new URLSearchParams({ v: '1', name: 'Lampu teras & dapur #1?', command: 'rumah/lampu ü' });
    const href = hrefFor('pair', params);
    expect(href.startsWith('#/pair?')).toBe(true);
    const route = parseHash(href, 'install');
    expect(route.view).toBe('pair');
    expect(route.params.get('name')).toBe('Lampu teras & dapur #1?');
    expect(route.params.get('command')).toBe('rumah/lampu ü');
  });

  it('makes plain links without a query', () => {
    expect(hrefFor('remote')).toBe('#/remote');
    expect(hrefFor('console', new URLSearchParams())).toBe('#/console');
  });
});
