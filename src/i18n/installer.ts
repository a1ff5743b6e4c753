// The installer's strings (flash, upload, board settings, console): imported by the views that
// use them, which load lazily, and registered into the dictionaries as their chunk loads.
import { install } from './sections/install.ts';
import { flash, flashErrors } from './sections/flash.ts';
import { upload, uploadErrors, bootHints } from './sections/upload.ts';
import { board } from './sections/board.ts';
import './board-strings.ts';
import { console_ } from './sections/console.ts';
import { registerSections } from './index.ts';

export const installerSections = { install, flash, flashErrors, upload, uploadErrors, bootHints, board, console: console_ };

registerSections(installerSections);
