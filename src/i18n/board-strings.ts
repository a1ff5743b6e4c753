// The board settings' strings, registered on their own: the settings form needs them on the
// Remote too (adding a lamp by hand), and importing the whole installer group for them put the
// installer's strings in every phone's download.
import { board } from './sections/board.ts';
import { registerSections } from './index.ts';

export const boardSections = { board };

registerSections(boardSections);
