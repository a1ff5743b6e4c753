// The production build contains none of the embedded default (virtual boards, stand-in, demo
// page script): the bundler's own module list says so. Positive control: the same check, on the
// same config built in "demo" mode (where the serve-only plugin also applies), finds them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'vite';
import { describe, expect, it } from 'vitest';
import { nyalaDemo } from '../../scripts/demo/vite-plugin.ts';

const DEMO_MODULES = /\/tests\/|\/scripts\/demo\/|virtual:nyala-demo/;

async function modulesOf(mode: 'production' | 'demo'): Promise<string[]> {
  const ids = new Set<string>();
  const recorder: Plugin = {
    name: 'record-modules',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) if (chunk.type === 'chunk') for (const id of chunk.moduleIds) ids.add(id);
    },
  };
  const outDir = await mkdtemp(path.join(tmpdir(), `nyala-${mode}-`));
  try {
    await build({
      mode,
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
      plugins: [
        nyalaDemo({
          config: {
            bridgeUrl: 'ws://127.0.0.1:1',
            chooseUrl: '/__nyala/choose',
            boards: [{ name: 'esp8266', label: 'Virtual board ESP8266', chip: 'esp8266' }],
            broker: { name: 'Local broker', host: '127.0.0.1', port: 1, ws: 'ws://127.0.0.1:2' },
            wifi: { ssid: 'x', password: 'y' },
          },
          choose: () => undefined,
        }),
        recorder,
      ],
    });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return [...ids].map((id) => id.split(path.sep).join('/'));
}

describe('the production build', () => {
  it('has no demo or virtual-board module; the demo-mode build of the same config has them', { timeout: 180_000 }, async () => {
    const production = await modulesOf('production');
    expect(production.some((id) => id.endsWith('/src/main.ts'))).toBe(true);
    expect(production.filter((id) => DEMO_MODULES.test(id))).toEqual([]);

    const demo = await modulesOf('demo');
    const found = demo.filter((id) => DEMO_MODULES.test(id));
    expect(found.some((id) => id.endsWith('/tests/board/page/serial-standin.ts'))).toBe(true);
    expect(found.some((id) => id.endsWith('/scripts/demo/page/demo.ts'))).toBe(true);
  });
});
