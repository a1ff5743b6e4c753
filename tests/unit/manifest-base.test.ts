// The PWA manifest follows the base Vite resolved, however it was set: `vite build --base /x/` on
// the command line (which overrides the config) and NYALA_BASE (which the config reads). A
// manifest left at "/" under a sub-path would install an app that opens outside its own site.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function build(args: string[], env: Record<string, string>): Promise<string> {
  const out = await mkdtemp(path.join(tmpdir(), 'nyala-base-'));
  dirs.push(out);
  const child = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'build', ...args, '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NYALA_BASE: '', ...env, NYALA_BUILD_ID: 'base-test' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  expect(code, log).toBe(0);
  return out;
}

async function manifestOf(dir: string): Promise<{ start_url: string; scope: string; id: string }> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.webmanifest'), 'utf8')) as { start_url: string; scope: string; id: string };
}

describe('the manifest follows the resolved base', () => {
  it('under `vite build --base /nyala/`', { timeout: 180_000 }, async () => {
    const dir = await build(['--base', '/nyala/'], {});
    const m = await manifestOf(dir);
    expect(m.start_url).toBe('/nyala/#/remote');
    expect(m.scope).toBe('/nyala/');
    expect(m.id).toBe('/nyala/');
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain('href="/nyala/manifest.webmanifest"');
  });

  it('under NYALA_BASE=/lampu/', { timeout: 180_000 }, async () => {
    const dir = await build([], { NYALA_BASE: '/lampu/' });
    const m = await manifestOf(dir);
    expect(m.start_url).toBe('/lampu/#/remote');
    expect(m.scope).toBe('/lampu/');
    expect(m.id).toBe('/lampu/');
  });

  it('`--base` on the command line wins over NYALA_BASE, as it does for every other URL', { timeout: 180_000 }, async () => {
    const dir = await build(['--base', '/nyala/'], { NYALA_BASE: '/lampu/' });
    const m = await manifestOf(dir);
    expect(m.scope).toBe('/nyala/');
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).not.toContain('/lampu/');
  });
});
