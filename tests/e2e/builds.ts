// The production builds the browser tests run against. Playwright's global setup makes them once;
// each test serves one with `vite preview` on a free port.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BuildSpec {
  /** folder under the repo, git-ignored (dist-*) */
  outDir: string;
  base: string;
  buildId: string;
}

export const builds = {
  /** the app at the root of its origin */
  main: { outDir: 'dist-e2e', base: '/', buildId: 'e2e-a' },
  /** the same app, one version later: what the update test switches to */
  next: { outDir: 'dist-e2e-next', base: '/', buildId: 'e2e-b' },
  /** a GitHub Pages project site */
  sub: { outDir: 'dist-e2e-sub', base: '/nyala/', buildId: 'e2e-sub' },
} satisfies Record<string, BuildSpec>;

export function outPath(b: BuildSpec): string {
  return path.join(root, b.outDir);
}
