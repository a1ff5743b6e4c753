// Hash routes of docs/contracts.md: #/install, #/remote, #/console, #/pair?…
// A hash router keeps the app a static site (GitHub Pages has no rewrites) and lets a link or
// the installed app's start_url open a view directly.

export type ViewName = 'install' | 'remote' | 'console' | 'pair';
export const VIEWS: readonly ViewName[] = ['install', 'remote', 'console', 'pair'];

export interface Route {
  view: ViewName;
  params: URLSearchParams;
  /** true when the hash named something we don't have */
  unknown: boolean;
}

export function parseHash(hash: string, fallback: ViewName): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const name = (q < 0 ? body : body.slice(0, q)).replace(/\/+$/, '');
  const params = new URLSearchParams(q < 0 ? '' : body.slice(q + 1));
  if (name === '') return { view: fallback, params, unknown: false };
  if ((VIEWS as readonly string[]).includes(name)) return { view: name as ViewName, params, unknown: false };
  return { view: fallback, params, unknown: true };
}

export function hrefFor(view: ViewName, params?: URLSearchParams): string {
  const query = params && [...params.keys()].length > 0 ? `?${params.toString()}` : '';
  return `#/${view}${query}`;
}
