// config.json v1 (docs/contracts.md) as the bytes the board gets. Apart from lamp-program.ts,
// whose ?raw imports only Vite understands, so Node tools (the bench) can make it too.
import { toConfigJson, type LampSettings } from '../lamp/settings.ts';

/**
 * Indented so a learner can read it with `cat` at the REPL. The same settings always give the
 * same bytes, so an unchanged config is skipped.
 */
export function configJsonBytes(settings: LampSettings): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(toConfigJson(settings), null, 2) + '\n');
}
