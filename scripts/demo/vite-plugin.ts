// The serve-only Vite plugin of the embedded default: it puts the demo page script in front of
// the app (so navigator.serial is wrapped before the app looks), answers the port picker's choice,
// and serves generated firmware images when the build has no official ones. `apply` keeps it out
// of `vite build`; the mode "demo" exists only so a test can show the check would catch it.
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import type { DemoConfig } from './config.ts';
import type { FirmwareManifest } from '../../src/device/firmware-catalog.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const VIRTUAL_ID = 'virtual:nyala-demo';
const RESOLVED_ID = '\0' + VIRTUAL_ID;

export interface DemoPluginOptions {
  config: DemoConfig;
  choose(name: string | null): void;
  /** generated images the virtual boards accept, by chip, when there is no official image */
  images?: Record<'esp8266' | 'esp32', Uint8Array>;
}

export function nyalaDemo(options: DemoPluginOptions): Plugin {
  const demoFirmware = options.images ? demoManifest(options.images) : undefined;
  return {
    name: 'nyala-demo',
    apply: (_config, env) => env.command === 'serve' || env.mode === 'demo',
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null;
    },
    load(id) {
      if (id !== RESOLVED_ID) return null;
      const page = path.join(here, 'page', 'demo.ts').split(path.sep).join('/');
      return `import { startDemo } from ${JSON.stringify(page)};\nstartDemo(${JSON.stringify(options.config)});\n`;
    },
    transform(code, id) {
      // First import of the app's entry, so the stand-in is in place before anything renders.
      if (id.split('?')[0] === path.join(root, 'src', 'main.ts')) return { code: `import ${JSON.stringify(VIRTUAL_ID)};\n${code}`, map: null };
      return null;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const base = server.config.base;
        if (req.method === 'POST' && url.pathname === `${base}__nyala/choose`) {
          let body = '';
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => {
            options.choose(body.trim() === '' ? null : body.trim());
            res.statusCode = 204;
            res.end();
          });
          return;
        }
        // Official images put in place by npm run firmware:fetch win; otherwise the demo's.
        if (demoFirmware && url.pathname.startsWith(`${base}firmware/`) && !existsSync(path.join(root, 'public', 'firmware', 'manifest.json'))) {
          const name = url.pathname.slice(`${base}firmware/`.length);
          if (name === 'manifest.json') {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(demoFirmware.manifest));
            return;
          }
          const file = demoFirmware.files.get(name);
          if (file) {
            res.setHeader('content-type', 'application/octet-stream');
            res.end(Buffer.from(file));
            return;
          }
        }
        next();
      });
    },
  };
}

function demoManifest(images: Record<'esp8266' | 'esp32', Uint8Array>): { manifest: FirmwareManifest; files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const entries: FirmwareManifest['images'] = [];
  const add = (chip: 'esp8266' | 'esp32', offset: number) => {
    const bytes = images[chip];
    const file = `nyala-demo-${chip}.bin`;
    files.set(file, bytes);
    entries.push({
      id: `DEMO_${chip.toUpperCase()}`,
      chip,
      file,
      offset,
      minFlash: 1024 * 1024,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  };
  add('esp8266', 0x0);
  add('esp32', 0x1000);
  return { manifest: { version: 'demo', images: entries }, files };
}
