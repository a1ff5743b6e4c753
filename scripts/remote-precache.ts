// What the service worker precaches: everything a phone needs for the Remote, and not the
// installer's chunks (esptool-js and its chip stubs, xterm, the console) nor the QR encoder. A phone never flashes a
// board, yet precaching all of it made a phone download four times what the Remote needs in its
// first seconds (remote.js.gzip). The installer's chunks are cached the first time they are used
// (runtimeCaching in vite.config.ts), so the installer works offline once it has been opened.
//
// The split is read from the bundle itself, not from file names: every chunk reachable from the
// entry, by static imports and by dynamic imports other than FIRST_USE_ONLY's, is the Remote's;
// what is left is cached on first use. A chunk both use is reached from the entry, so it
// stays precached.
import type { Plugin } from 'vite';

/**
 * Dynamic imports whose chunks are cached on first use instead: the views only a desktop with a
 * serial port opens, and the pairing QR code (shown by the device that already has the lamp, to
 * another one; the QR encoder is a third of what the Remote adds to mqtt + lit), and the
 * languages a page did not choose.
 */
const FIRST_USE_ONLY = [
  /[\\/]src[\\/]ui[\\/]install-view\.ts$/,
  /[\\/]src[\\/]ui[\\/]console-view\.ts$/,
  /[\\/]src[\\/]ui[\\/]pair-qr\.ts$/,
  // Each language's strings: the page loads the one it shows and puts it in the asset cache
  // itself (src/ui/locale.ts); precaching both would make every phone download both.
  /[\\/]src[\\/]i18n[\\/](?:en|id)[\\/]index\.ts$/,
];

interface ManifestEntry {
  url: string;
}

export interface RemotePrecache {
  plugin: Plugin;
  /** for workbox's `manifestTransforms`: drops the installer's files from the precache list */
  manifestTransform: <T extends ManifestEntry>(entries: T[]) => Promise<{ manifest: T[]; warnings: string[] }>;
}

export function remotePrecache(): RemotePrecache {
  const installerOnly = new Set<string>();
  const plugin: Plugin = {
    name: 'nyala-remote-precache',
    apply: 'build',
    generateBundle(_options, bundle) {
      installerOnly.clear();
      const chunks = new Map<string, { imports: string[]; dynamicImports: string[]; facade: string; css: string[]; isEntry: boolean }>();
      for (const out of Object.values(bundle)) {
        if (out.type !== 'chunk') continue;
        const css = [...(out.viteMetadata?.importedCss ?? [])];
        chunks.set(out.fileName, {
          imports: out.imports,
          dynamicImports: out.dynamicImports,
          facade: out.facadeModuleId ?? '',
          css,
          isEntry: out.isEntry,
        });
      }
      const remote = new Set<string>();
      const visit = (file: string): void => {
        const chunk = chunks.get(file);
        if (!chunk || remote.has(file)) return;
        remote.add(file);
        chunk.imports.forEach(visit);
        for (const target of chunk.dynamicImports) {
          const facade = chunks.get(target)?.facade ?? '';
          if (!FIRST_USE_ONLY.some((lazy) => lazy.test(facade))) visit(target);
        }
      };
      for (const [file, chunk] of chunks) if (chunk.isEntry) visit(file);
      const remoteCss = new Set([...remote].flatMap((file) => chunks.get(file)?.css ?? []));
      for (const [file, chunk] of chunks) {
        if (remote.has(file)) continue;
        installerOnly.add(file);
        for (const css of chunk.css) if (!remoteCss.has(css)) installerOnly.add(css);
      }
    },
  };
  return {
    plugin,
    manifestTransform: async (entries) => ({
      manifest: entries.filter((entry) => !installerOnly.has(entry.url)),
      warnings: [],
    }),
  };
}
