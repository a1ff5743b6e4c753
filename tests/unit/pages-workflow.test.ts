// The Pages workflow, read as text (no YAML library is a dependency; the file keeps to plain
// two-space block mappings, which the small reader below understands): least privilege per job,
// every action pinned to a full commit SHA with its version beside it, provenance attested in the
// deploy job, the site's base chosen from the repository's name, and Dependabot for both
// ecosystems.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pagesBase } from '../../scripts/pages-base.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string) => readFile(path.join(root, p), 'utf8');

interface Line {
  indent: number;
  text: string;
}
function lines(src: string): Line[] {
  return src
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
}

/** The lines under the key `key` found at `indent` (its block), within `ls`. */
function block(ls: Line[], key: string, indent: number): Line[] | undefined {
  const i = ls.findIndex((l) => l.indent === indent && (l.text === `${key}:` || l.text.startsWith(`${key}: `)));
  if (i < 0) return undefined;
  const out: Line[] = [];
  for (const l of ls.slice(i + 1)) {
    if (l.indent <= indent) break;
    out.push(l);
  }
  return out;
}

/** A job's `permissions:` as a map, `{}` for `permissions: {}`, undefined when it has none. */
function permissions(ls: Line[], indent: number): Record<string, string> | undefined {
  const head = ls.find((l) => l.indent === indent && l.text.startsWith('permissions:'));
  if (!head) return undefined;
  const inline = head.text.slice('permissions:'.length).trim();
  if (inline === '{}') return {};
  if (inline) throw new Error(`permissions written inline as "${inline}": list each scope`);
  const body = block(ls, 'permissions', indent) ?? [];
  return Object.fromEntries(body.map((l) => l.text.split(':').map((s) => s.trim()) as [string, string]));
}

function jobs(ls: Line[]): Map<string, Line[]> {
  const body = block(ls, 'jobs', 0) ?? [];
  const names = body.filter((l) => l.indent === 2).map((l) => l.text.replace(/:$/, ''));
  return new Map(names.map((n) => [n, block(body, n, 2)!]));
}

const USES = /^(?:- )?uses:\s*(\S+)(?:\s+#\s*(.*))?$/;

describe('.github/workflows/pages.yml', async () => {
  const src = await read('.github/workflows/pages.yml');
  const ls = lines(src);
  const js = jobs(ls);

  it('grants nothing by default', () => {
    expect(permissions(ls, 0)).toEqual({});
  });

  it('gives the build job contents: read and nothing else', () => {
    expect(permissions(js.get('build')!, 4)).toEqual({ contents: 'read' });
  });

  it('gives pages, id-token and attestations write to the deploy job only', () => {
    expect(permissions(js.get('deploy')!, 4)).toEqual({ pages: 'write', 'id-token': 'write', attestations: 'write' });
    for (const [name, job] of js) {
      const p = permissions(job, 4);
      expect(p, `job ${name} states its permissions`).toBeDefined();
      if (name !== 'deploy') expect(Object.values(p!).filter((v) => v !== 'read'), `job ${name}`).toEqual([]);
    }
  });

  it('pins every action to a full 40-hex commit SHA with its version in a comment', () => {
    const uses = ls.filter((l) => USES.test(l.text)).map((l) => USES.exec(l.text)!);
    expect(uses.length).toBeGreaterThanOrEqual(5);
    for (const [, ref, comment] of uses) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
      expect(comment, `${ref} names its version`).toMatch(/^v\d+(\.\d+){0,2}\b/);
    }
  });

  it('builds in one job and attests and deploys in the other', () => {
    const usesIn = (job: string) => js.get(job)!.map((l) => USES.exec(l.text)?.[1]?.split('@')[0]).filter(Boolean);
    expect(usesIn('build')).toEqual(expect.arrayContaining(['actions/checkout', 'actions/setup-node', 'actions/upload-pages-artifact']));
    expect(usesIn('deploy')).toEqual(['actions/attest-build-provenance', 'actions/deploy-pages']);
    expect(js.get('deploy')!.some((l) => l.text === 'needs: build')).toBe(true);
    // The attestation covers what the build job uploaded, handed over as its digests.
    expect(src).toContain('subject-checksums: ${{ needs.build.outputs.subjects }}');
    expect(src).toContain('run: npm test');
    expect(src).toContain('run: npm run firmware:fetch');
  });

  it('builds for where the site lives, from the repository name', () => {
    expect(src).toContain('node scripts/pages-base.mjs "$GITHUB_REPOSITORY"');
    expect(src).toContain('NYALA_BASE: ${{ steps.base.outputs.base }}');
    expect(src).not.toContain('github.event.repository.name');
  });

  it('does not persist the checkout token', () => {
    const checkout = js.get('build')!.findIndex((l) => l.text.includes('actions/checkout@'));
    expect(js.get('build')!.slice(checkout, checkout + 3).map((l) => l.text)).toContain('persist-credentials: false');
  });
});

describe('the site base', () => {
  it('is the root for a user or organisation site, /<repo>/ for a project site', () => {
    expect(pagesBase('budi/budi.github.io')).toBe('/');
    expect(pagesBase('Sooko-Lab/sooko-lab.GitHub.io')).toBe('/');
    expect(pagesBase('budi/nyala')).toBe('/nyala/');
    expect(pagesBase('budi/other.github.io')).toBe('/other.github.io/');
    expect(() => pagesBase('nyala')).toThrow('owner/repo');
  });
});

describe('.github/dependabot.yml', () => {
  it('updates npm and GitHub Actions', async () => {
    const ls = lines(await read('.github/dependabot.yml'));
    const ecosystems = ls.map((l) => /^- package-ecosystem:\s*(\S+)/.exec(l.text)?.[1]).filter(Boolean);
    expect(ecosystems.sort()).toEqual(['github-actions', 'npm']);
    expect(ls.find((l) => l.indent === 0 && l.text.startsWith('version:'))?.text).toBe('version: 2');
  });
});
