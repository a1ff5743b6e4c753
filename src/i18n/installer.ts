// The installer's strings (flash, upload, console): imported by the views that use them, which
// load lazily, and registered into the dictionaries as their chunk loads. The board's part of the
// settings form is in ./en and ./id: the Remote's form needs it too.
import { install } from './sections/install.ts';
import { flash, flashErrors } from './sections/flash.ts';
import { upload, uploadErrors, bootHints } from './sections/upload.ts';
import { console_ } from './sections/console.ts';
import { registerSections } from './index.ts';

export const installerSections = { install, flash, flashErrors, upload, uploadErrors, bootHints, console: console_ };

registerSections(installerSections);
