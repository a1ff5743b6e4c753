// Runs before `npm start` and `npm test` (prestart / pretest), so the README's two commands work
// on a fresh clone with nothing else typed. Plain Node and no imports from node_modules: it runs
// before there is one.
//   node scripts/setup.mjs start   Node version, then `npm ci` when node_modules is missing or
//                                  older than package-lock.json
//   node scripts/setup.mjs test    the same, then Chromium, Mosquitto and pyserial: installed with
//                                  apt on Debian/Ubuntu when running as root, otherwise it stops at
//                                  once with the exact command to run
// NYALA_SKIP_SETUP=1 skips all of it (for a machine set up some other way).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_NODE = [20, 19];

/** What the tests run, where they look for it, and the Debian package that provides it. */
export const SYSTEM_NEEDS = [
  { what: 'Chromium', pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  {
    what: 'Mosquitto',
    pkg: 'mosquitto',
    present: () => ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].some((p) => existsSync(p)),
  },
  {
    what: 'pyserial for /usr/bin/python3',
    pkg: 'python3-serial',
    present: () => existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import serial'], { stdio: 'ignore' }).status === 0,
  },
];

function fail(lines) {
  console.error(['', ...lines.map((l) => `nyala setup: ${l}`), ''].join('\n'));
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    fail([`Node ${process.versions.node} is too old; Nyala needs Node ${MIN_NODE.join('.')} or newer (https://nodejs.org/).`]);
  }
}

/** True when node_modules is missing or older than package-lock.json (a pull changed the lock). */
export function depsStale(dir = root) {
  const lock = path.join(dir, 'package-lock.json');
  // npm writes node_modules/.package-lock.json at the end of every install.
  const stamp = path.join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(stamp)) return true;
  return statSync(stamp).mtimeMs < statSync(lock).mtimeMs;
}

function run(cmd, args, env = process.env) {
  console.log(`nyala setup: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) fail([`could not run ${cmd}: ${r.error.message}`]);
  return r.status ?? 1;
}

function installDeps() {
  if (!depsStale()) return;
  // The npm that runs this script (npm_execpath) or the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  // --prefer-offline: what the npm cache already has is not downloaded again. --include=dev: a
  // shell (or a build tool before us) with NODE_ENV=production would otherwise leave out the dev
  // dependencies, and `npm start` then cannot find vite.
  const code = run(cmd, [...pre, 'ci', '--prefer-offline', '--include=dev', '--no-audit', '--no-fund']);
  if (code !== 0) fail([`npm ci failed (exit ${code}); fix what npm printed above and run the command again.`]);
}

function isDebian() {
  if (existsSync('/etc/debian_version')) return true;
  try {
    const os = readFileSync('/etc/os-release', 'utf8');
    return /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(os);
  } catch {
    return false;
  }
}

/** The command a person runs when this script may not install for them. */
export function installHint(missing, { debian = isDebian(), root: asRoot = process.getuid?.() === 0 } = {}) {
  const pkgs = missing.map((m) => m.pkg).join(' ');
  if (debian) {
    const sudo = asRoot ? '' : 'sudo ';
    return `${sudo}apt-get update && ${sudo}apt-get install -y ${pkgs}`;
  }
  return `install ${missing.map((m) => m.what).join(', ')} (Debian names: ${pkgs}); the tests use /usr/bin/chromium, mosquitto, and /usr/bin/python3 with pyserial`;
}

function checkSystem() {
  const missing = SYSTEM_NEEDS.filter((n) => !n.present());
  if (missing.length === 0) return;
  const names = missing.map((m) => m.what).join(', ');
  const asRoot = process.getuid?.() === 0;
  if (!isDebian() || !asRoot || !existsSync('/usr/bin/apt-get')) {
    fail([`the tests need ${names}, which this machine lacks.`, `Run: ${installHint(missing)}`, 'then `npm test` again.']);
  }
  console.log(`nyala setup: installing ${names}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-qq'], env) !== 0) fail(['apt-get update failed; see above.', `Run: ${installHint(missing)}`]);
  // fonts-dejavu-core: the screenshots and layout tests render text the same on every machine.
  if (run('apt-get', ['install', '-y', '-qq', ...missing.map((m) => m.pkg), 'fonts-dejavu-core'], env) !== 0) {
    fail(['apt-get install failed; see above.', `Run: ${installHint(missing)}`]);
  }
  const still = SYSTEM_NEEDS.filter((n) => !n.present());
  if (still.length > 0) fail([`still missing after apt-get: ${still.map((m) => m.what).join(', ')}.`]);
}

function main() {
  const mode = process.argv[2];
  if (mode !== 'start' && mode !== 'test') fail(['usage: node scripts/setup.mjs start|test']);
  if (process.env.NYALA_SKIP_SETUP === '1') return;
  checkNode();
  // The system check comes first for `npm test`: a missing browser is a one-line answer, not
  // something found after a minute of npm ci.
  if (mode === 'test') checkSystem();
  installDeps();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
