// MQTT.js for the browser, bundled by us: the bare `mqtt` import of the app's client build and
// dev server resolves to MQTT.js's compiled CommonJS (node_modules/mqtt/build) instead of its
// stock dist/mqtt.esm.js. MQTT.js builds that file with esbuild and a whole Node polyfill set
// (its esbuild.js), so it carries code a browser never runs: the TCP/TLS/SOCKS and mini-program
// transports, Node's url module, the debug logger, an LRU cache for MQTT 5 topic aliases,
// readable-stream's operators, compose, pipeline and promises. Here each of those is a tiny stub in
// scripts/mqtt-browser/ (each says why it is safe there; what must never run throws if reached),
// MQTT.js's package.json is its version only (as in its own esbuild.js), the Node modules MQTT.js
// and readable-stream use come from the npm buffer, events and process packages, and the rest
// (mqtt-packet, readable-stream's stream classes, worker-timers) is bundled as it is. The stubs
// are CommonJS (or ESM re-exports) beside this file rather than in src/: they stand in for Node
// modules inside MQTT.js's CommonJS graph, are called the way that code calls them, and are part
// of how it is built, not of the app's own code.
//
// Only for the browser: under vitest (tests/unit talk TCP and ws to aedes and Mosquitto through
// MQTT.js's Node build) the plugin adds nothing, and in a build or dev server it touches only the
// client environment.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);
const stubs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mqtt-browser');
/** node_modules/mqtt/build/index.js: the `default` export condition, MQTT.js's compiled CommonJS. */
const mqttEntry = require.resolve('mqtt');
const mqttBuild = path.dirname(mqttEntry) + path.sep;
const connectDir = path.join(mqttBuild, 'lib', 'connect') + path.sep;
/** MQTT.js reads its package.json for its version only (lib/shared.js MQTTJS_VERSION); its own
 *  esbuild.js gives the browser bundle just that, and so do we, instead of the whole manifest. */
const VERSION_ID = '\0nyala-mqtt-version';
const mqttVersion = (require('mqtt/package.json') as { version: string }).version;

/** Bare imports anywhere in MQTT.js's graph. */
const bare: Record<string, string> = {
  url: path.join(stubs, 'url.cjs'),
  debug: path.join(stubs, 'debug.cjs'),
  'lru-cache': path.join(stubs, 'lru-cache.cjs'),
  'readable-stream': path.join(stubs, 'readable-stream.mjs'),
  buffer: require.resolve('buffer/'),
  events: require.resolve('events/'),
  // readable-stream asks for 'process/' (the npm package); its browser half is process/browser.js.
  process: path.join(path.dirname(require.resolve('process/')), 'browser.js'),
  'process/': path.join(path.dirname(require.resolve('process/')), 'browser.js'),
};

/** Relative imports of MQTT.js's connect/index.js. */
const transports: Record<string, string> = {
  './tcp': path.join(stubs, 'node-transport.cjs'),
  './tls': path.join(stubs, 'node-transport.cjs'),
  './socks': path.join(stubs, 'node-transport.cjs'),
  './wx': path.join(stubs, 'mini-program.cjs'),
  './ali': path.join(stubs, 'mini-program.cjs'),
};

/** A module of MQTT.js's graph (its build and the packages that ask for Node's modules), so no
 *  other library of the app has its `debug` or `url` replaced. */
const mqttGraph = /[\\/]node_modules[\\/](?:mqtt|mqtt-packet|bl|readable-stream)[\\/]/;
function inMqttGraph(importer: string | undefined): boolean {
  return importer !== undefined && mqttGraph.test(importer);
}

/** CommonJS modules of the graph that use `process` without requiring it. */
const usesProcess = /[\\/]node_modules[\\/](?:mqtt[\\/]build|process-nextick-args)[\\/]/;

/** The resolve and transform hooks, shared by the build, the dev server and the dev pre-bundle. */
function hooks() {
  return {
    resolveId(id: string, importer?: string): string | null {
      if (importer?.startsWith(mqttBuild) && id.endsWith('/package.json')) return VERSION_ID;
      if (importer?.startsWith(connectDir) && id in transports) return transports[id] ?? null;
      if (id in bare && inMqttGraph(importer)) return bare[id] ?? null;
      return null;
    },
    load(id: string): string | null {
      return id === VERSION_ID ? `export const version = ${JSON.stringify(mqttVersion)};` : null;
    },
    transform(code: string, id: string): string | null {
      // MQTT.js's build and process-nextick-args (mqtt-packet's) use Node's `process` as a global
      // (process.nextTick); give those modules the npm package's browser half as a local binding
      // rather than a page-wide global.
      if (!usesProcess.test(id) || !/\bprocess\b/.test(code)) return null;
      return `var process = require(${JSON.stringify(bare.process)});\n${code}`;
    },
  };
}

export function mqttBrowser(): Plugin {
  const { resolveId, load, transform } = hooks();
  return {
    name: 'nyala-mqtt-browser',
    enforce: 'pre',
    config(_config, env) {
      // vitest loads this config too, with mode 'test': its tests run MQTT.js's Node build.
      if (env.mode === 'test' || process.env.VITEST) return;
      return {
        // An alias (not a resolveId hook) so the dev server's dependency pre-bundling, which
        // resolves `optimizeDeps.include` through aliases only, starts from the same file.
        resolve: { alias: [{ find: /^mqtt$/, replacement: mqttEntry }] },
        optimizeDeps: { rolldownOptions: { plugins: [{ name: 'nyala-mqtt-browser-prebundle', resolveId, load, transform }] } },
      };
    },
    applyToEnvironment: (environment) => environment.config.consumer === 'client',
    resolveId: (id, importer) => resolveId(id, importer),
    load: (id) => load(id),
    transform: (code, id) => transform(code, id),
  };
}
