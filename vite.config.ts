/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { VitePWA, type VitePWAOptions } from 'vite-plugin-pwa';
import { remotePrecache } from './scripts/remote-precache.ts';
import { mqttBrowser } from './scripts/mqtt-browser.ts';

// One setting picks where the app lives: "/" for the root, "/<repo>/" for a GitHub Pages project
// site. `vite build --base /x/` on the command line overrides it; the manifest follows whichever
// base Vite resolved (integration.configureOptions below), never this constant.
const base = normaliseBase(process.env.NYALA_BASE ?? '/');
// Each build gets an id the page shows; a new id means a new service worker, which is what the
// update prompt reacts to.
const buildId = process.env.NYALA_BUILD_ID ?? new Date().toISOString().replace(/[-:]|\.\d+Z$/g, '').replace('T', '.');

const manifest: NonNullable<Exclude<VitePWAOptions['manifest'], false>> = {
  name: 'Nyala — lampu Wi-Fi / Wi-Fi lamp',
  short_name: 'Nyala',
  description:
    'Pasang MicroPython di ESP8266/ESP32 dan nyalakan lampu dari ponsel. Flash an ESP8266/ESP32 and switch a lamp from your phone.',
  lang: 'id',
  theme_color: '#14213d',
  background_color: '#14213d',
  display: 'standalone',
  orientation: 'portrait',
  // start_url, scope and id follow the base Vite resolved: integration.configureOptions below.
  categories: ['utilities'],
};

const precache = remotePrecache();

export default defineConfig({
  base,
  define: {
    __NYALA_BUILD_ID__: JSON.stringify(buildId),
  },
  // Pre-bundle what the lazily loaded views use, so the dev server does not discover it on first
  // use and reload the page (which under npm start would cut a flash short).
  optimizeDeps: {
    include: ['lit', 'lit/decorators.js', 'mqtt', 'workbox-window', 'esptool-js', '@xterm/xterm', '@xterm/addon-fit', 'qrcode', '@noble/hashes/legacy.js', '@noble/hashes/utils.js'],
  },
  build: {
    target: 'es2022',
    sourcemap: false,
  },
  plugins: [
    // The bare `mqtt` import, for the browser only (never under vitest): MQTT.js bundled from its
    // CommonJS build without its Node-only parts (scripts/mqtt-browser.ts).
    mqttBrowser(),
    precache.plugin,
    VitePWA({
      // We register the worker ourselves through workbox-window so the update is always a prompt,
      // never a silent reload (a reload in the middle of a flash would leave the board half-written).
      injectRegister: false,
      registerType: 'prompt',
      pwaAssets: {
        image: 'public/nyala.svg',
        preset: 'minimal-2023',
        overrideManifestIcons: true,
      },
      manifest,
      integration: {
        // Vite resolves `base` from this config, NYALA_BASE or `--base` on the command line, and
        // only then is it known: the plugin calls this with the resolved config before it reads
        // the manifest.
        configureOptions(viteConfig, options) {
          if (!options.manifest) return;
          // The installed app opens straight to the remote: that is what a phone is for.
          options.manifest.start_url = `${viteConfig.base}#/remote`;
          options.manifest.scope = viteConfig.base;
          options.manifest.id = viteConfig.base;
        },
      },
      workbox: {
        // The plugin adds the manifest itself; matching it here too would list it twice.
        globPatterns: ['**/*.{js,css,html,svg,png,ico}'],
        // Firmware images are fetched when a flash needs them: a phone that only wants the remote
        // must not download megabytes.
        globIgnores: ['firmware/**', '**/*.bin'],
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
        // The Remote's files only (scripts/remote-precache.ts): a phone must not download the
        // installer. The installer's chunks are cached when first used, so it too opens offline
        // once it has been opened; their names carry a content hash, so cache-first is safe.
        manifestTransforms: [precache.manifestTransform],
        runtimeCaching: [
          {
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/[^/]+\.(?:js|css)$/.test(url.pathname),
            handler: 'CacheFirst',
            options: { cacheName: 'nyala-installer', expiration: { maxEntries: 80 } },
          },
        ],
      },
    }),
  ],
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/board/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

function normaliseBase(b: string): string {
  const trimmed = b.trim() || '/';
  return ('/' + trimmed + '/').replace(/\/+/g, '/');
}
