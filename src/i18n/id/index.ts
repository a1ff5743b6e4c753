// The Indonesian strings every page needs, as ../en/index.ts: each section is typed against its
// English side, and `satisfies` refuses a missing section.
import type { Core } from '../en/index.ts';
import { shell } from './shell.ts';
import { support } from './support.ts';
import { remote } from './remote.ts';
import { board } from './board.ts';

export const core = { shell, support, remote, board } satisfies Core;

/** This chunk's own address, so the page can keep it for offline use (src/ui/locale.ts). */
export const url = import.meta.url;
