// npm run firmware:fetch against a local HTTP server serving fixture files (there is no internet
// here): it must fetch every image of the catalog, record size and sha256, fail loudly on a
// missing file, a short answer or an HTML page, and refuse an image that differs from its pin in
// the lock file, which only --update-lock writes.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/device/firmware-catalog.ts';

type Answer = { status: number; type: string; body: Buffer };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function image(size: number): Buffer {
  const b = randomBytes(size);
  b[0] = 0xe9;
  return b;
}

async function serveFiles(answers: Map<string, Answer>): Promise<string> {
  const server: Server = createServer((req, res) => {
    const a = answers.get(path.basename(req.url ?? ''));
    if (!a) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not found</html>');
      return;
    }
    res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/resources/firmware/`;
}

type Lock = { about?: string; images: Record<string, { sha256: string; size: number }> };

/** A lock file in a temp folder (the repository's own is never touched by a test). */
async function lockFile(lock: Lock): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-lock-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'firmware-images.lock.json');
  await writeFile(file, JSON.stringify(lock, null, 2) + '\n');
  return file;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
function pins(files: Map<string, Answer>): Lock {
  return { images: Object.fromEntries([...files].map(([f, a]) => [f, { sha256: sha(a.body), size: a.body.length }])) };
}

async function run(
  source: string,
  opts: { lock?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-fw-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const lock = opts.lock ?? (await lockFile({ images: {} }));
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NYALA_FIRMWARE_SOURCE: source, NYALA_FIRMWARE_OUT: dir, NYALA_FIRMWARE_LOCK: lock, ...opts.env };
    if (!opts.env?.GITHUB_STEP_SUMMARY) delete env.GITHUB_STEP_SUMMARY;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/firmware-fetch.ts', ...(opts.args ?? [])], { env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, out, dir }));
  });
}

function allGood(): Map<string, Answer> {
  return new Map(CATALOG.map((e, i) => [e.file, { status: 200, type: 'application/octet-stream', body: image(300_000 + i * 1000) }]));
}

describe('npm run firmware:fetch', () => {
  it('fetches every pinned image and records its size and sha256', { timeout: 120_000 }, async () => {
    const files = allGood();
    const { code, out, dir } = await run(await serveFiles(files));
    expect(code, out).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
      images: { file: string; size: number; sha256: string; offset: number }[];
    };
    expect(manifest.images.map((i) => i.file)).toEqual(CATALOG.map((e) => e.file));
    for (const img of manifest.images) {
      const body = files.get(img.file)!.body;
      expect(img.size).toBe(body.length);
      expect(img.sha256).toBe(createHash('sha256').update(body).digest('hex'));
      expect(await readFile(path.join(dir, img.file))).toEqual(body);
    }
  });

  it.each([
    ['a missing file', (a: Map<string, Answer>) => a.delete(CATALOG[1]!.file), 'HTTP 404'],
    ['a short answer', (a: Map<string, Answer>) => a.set(CATALOG[2]!.file, { status: 200, type: 'application/octet-stream', body: image(1000) }), 'only 1000 bytes'],
    ['an HTML page served as 200', (a: Map<string, Answer>) => a.set(CATALOG[0]!.file, { status: 200, type: 'text/html', body: Buffer.from('<!DOCTYPE html><html>'.padEnd(400_000, ' ')) }), 'HTML page'],
    ['a file that is no ESP image', (a: Map<string, Answer>) => a.set(CATALOG[3]!.file, { status: 200, type: 'application/octet-stream', body: Buffer.alloc(400_000, 0x42) }), 'magic 0xE9'],
  ])('fails loudly on %s and writes no manifest', { timeout: 120_000 }, async (_what, spoil, message) => {
    const files = allGood();
    spoil(files);
    const { code, out, dir } = await run(await serveFiles(files));
    expect(code).toBe(1);
    expect(out).toContain(message);
    expect(await readdir(dir)).not.toContain('manifest.json');
  });
});

describe('npm run firmware:fetch with firmware-images.lock.json', () => {
  it('accepts images that match their pins and leaves the lock as it was', { timeout: 120_000 }, async () => {
    const files = allGood();
    const lock = await lockFile(pins(files));
    const before = await readFile(lock, 'utf8');
    const { code, out } = await run(await serveFiles(files), { lock });
    expect(code, out).toBe(0);
    expect(out).not.toContain('not pinned');
    expect(await readFile(lock, 'utf8')).toBe(before);
  });

  it('refuses a tampered image that differs from its pin, and writes nothing at all', { timeout: 120_000 }, async () => {
    const files = allGood();
    const lock = await lockFile(pins(files));
    // Same size, still an ESP image, one byte changed: only the hash can tell.
    const target = CATALOG[3]!.file;
    const tampered = Buffer.from(files.get(target)!.body);
    tampered[1000] = tampered[1000]! ^ 0xff;
    files.set(target, { status: 200, type: 'application/octet-stream', body: tampered });
    const before = await readFile(lock, 'utf8');
    const { code, out, dir } = await run(await serveFiles(files), { lock });
    expect(code).toBe(1);
    expect(out).toContain(`${target}: ${tampered.length} bytes, sha256 ${sha(tampered)} differs from`);
    expect(out).toContain('refusing it');
    expect(await readdir(dir)).toEqual([]);
    expect(await readFile(lock, 'utf8')).toBe(before);
  });

  it('writes and changes entries only with --update-lock', { timeout: 120_000 }, async () => {
    const files = allGood();
    const old = pins(allGood());
    const lock = await lockFile({ about: 'kept', images: { ...old.images, 'ESP8266_GENERIC-20990101-v9.9.9.bin': { sha256: 'ab'.repeat(32), size: 1 } } });
    const { code, out } = await run(await serveFiles(files), { lock, args: ['--update-lock'] });
    expect(code, out).toBe(0);
    const written = JSON.parse(await readFile(lock, 'utf8')) as Lock;
    // Exactly the catalog's images, as served; the entry of an image no longer offered is gone.
    expect(written).toEqual({ about: 'kept', ...pins(files) });
    expect(out).toContain('Review the diff');
  });

  it('fetches unpinned images, keeps the lock empty and puts their hashes and how to pin them in the job summary', { timeout: 120_000 }, async () => {
    const files = allGood();
    const lock = await lockFile({ images: {} });
    const summaryDir = await mkdtemp(path.join(tmpdir(), 'nyala-summary-'));
    cleanups.push(() => rm(summaryDir, { recursive: true, force: true }));
    const summary = path.join(summaryDir, 'summary.md');
    const { code, out, dir } = await run(await serveFiles(files), { lock, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(code, out).toBe(0);
    expect(await readdir(dir)).toContain('manifest.json');
    expect((JSON.parse(await readFile(lock, 'utf8')) as Lock).images).toEqual({});
    const md = await readFile(summary, 'utf8');
    expect(md).toContain('npm run firmware:fetch -- --update-lock');
    for (const [file, a] of files) expect(md).toContain(`| \`${file}\` | ${a.body.length} | \`${sha(a.body)}\` |`);
    // The block to compare the committed lock with is valid JSON and names every image.
    const block = /```json\n([\s\S]*?)\n```/.exec(md)?.[1];
    expect(JSON.parse(block!)).toEqual(pins(files));
    expect(out).toContain('not pinned');
  });
});
