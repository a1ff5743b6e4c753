// The English strings every page needs: the shell, browser support, the Remote and its settings
// form (with the board's part). Each language is its own chunk, loaded by ../index.ts loadLang(),
// so a phone downloads the language it shows and fetches the other only if the person switches.
import { shell } from './shell.ts';
import { support } from './support.ts';
import { remote } from './remote.ts';
import { board } from './board.ts';

export const core = { shell, support, remote, board };
export type Core = typeof core;

/** This chunk's own address, so the page can keep it for offline use (src/ui/locale.ts). */
export const url = import.meta.url;
