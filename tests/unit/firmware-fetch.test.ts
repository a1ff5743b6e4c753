// npm run firmware:fetch against a local HTTP server serving fixture files (there is no internet
// here): it must fetch every image of the catalog, record size and sha256, and fail loudly on a
// missing file, a short answer or an HTML page.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
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

async function run(source: string): Promise<{ code: number; out: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nyala-fw-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/firmware-fetch.ts'], {
      env: { ...process.env, NYALA_FIRMWARE_SOURCE: source, NYALA_FIRMWARE_OUT: dir },
    });
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
