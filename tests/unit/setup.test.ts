// scripts/setup.mjs, the pretest/prestart set-up: when it runs npm ci, and the exact command it
// gives when it may not install Chromium, Mosquitto or pyserial itself.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_NEEDS, depsStale, installHint } from '../../scripts/setup.mjs';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function project(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-setup-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'package-lock.json'), '{}');
  return dir;
}

describe('npm ci when needed', () => {
  it('is needed with no node_modules, or one older than package-lock.json, and not otherwise', async () => {
    const dir = await project();
    expect(depsStale(dir)).toBe(true);
    await mkdir(path.join(dir, 'node_modules'));
    expect(depsStale(dir), 'an empty node_modules (no install finished)').toBe(true);
    const stamp = path.join(dir, 'node_modules', '.package-lock.json');
    await writeFile(stamp, '{}');
    const lock = path.join(dir, 'package-lock.json');
    await utimes(lock, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'));
    await utimes(stamp, new Date('2026-11-02T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));
    expect(depsStale(dir)).toBe(false);
    // A pull that changes the lock makes it newer than the last install.
    await utimes(lock, new Date('2026-11-03T00:00:00Z'), new Date('2026-11-03T00:00:00Z'));
    expect(depsStale(dir)).toBe(true);
  });
});

describe('what the tests need from the system', () => {
  it('names Chromium, Mosquitto and pyserial with their Debian packages', () => {
    expect(SYSTEM_NEEDS.map((n) => n.pkg)).toEqual(['chromium', 'mosquitto', 'python3-serial']);
  });

  it('gives the exact apt command, with sudo when not root', () => {
    const missing = SYSTEM_NEEDS.filter((n) => n.pkg !== 'mosquitto');
    expect(installHint(missing, { debian: true, root: false })).toBe('sudo apt-get update && sudo apt-get install -y chromium python3-serial');
    expect(installHint(missing, { debian: true, root: true })).toBe('apt-get update && apt-get install -y chromium python3-serial');
    expect(installHint(missing, { debian: false, root: false })).toContain('Chromium, pyserial for /usr/bin/python3 (Debian names: chromium python3-serial)');
  });

  it('finds everything on this machine, so `npm test` goes straight on', () => {
    // Chromium, Mosquitto and pyserial are installed here (the tests need them anyway).
    expect(SYSTEM_NEEDS.filter((n) => !n.present()).map((n) => n.what)).toEqual([]);
    const r = spawnSync(process.execPath, ['scripts/setup.mjs', 'test'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('npm ci');
  });

  it('refuses an unknown mode at once', () => {
    const r = spawnSync(process.execPath, ['scripts/setup.mjs', 'deploy'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: node scripts/setup.mjs start|test');
  });
});
