// Bundles the page's serial stand-in into one self-contained script with the bridge's address
// baked in, for Playwright's `page.addInitScript({ content })` (which takes no modules).

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const pageDir = fileURLToPath(new URL('./page/', import.meta.url));

export async function standinScript(bridgeUrl: string): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { installSerialStandin } from './serial-standin.ts';\ninstallSerialStandin(${JSON.stringify(bridgeUrl)});\n`,
      resolveDir: pageDir,
      sourcefile: 'nyala-serial-standin.ts',
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no stand-in script');
  return output.text;
}
