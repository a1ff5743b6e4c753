import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { builds, root, type BuildSpec } from './builds.ts';

export default async function globalSetup(): Promise<void> {
  if (!existsSync('/usr/bin/chromium')) {
    const why = 'Chromium is missing: apt-get install -y chromium (the browser tests drive /usr/bin/chromium).';
    // In CI a missing browser fails the run; it never skips.
    if (process.env.CI === 'true') throw new Error(why);
    console.warn(why);
  }
  for (const b of Object.values(builds)) await build(b);
}

function build(b: BuildSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--outDir', b.outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: root,
      env: { ...process.env, NYALA_BASE: b.base, NYALA_BUILD_ID: b.buildId },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build ${b.outDir} exited ${code}`))));
  });
}
