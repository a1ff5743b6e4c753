import { section } from '../types.ts';

export const console_ = section(
  {
    title: 'Serial console',
    intro: 'The board’s MicroPython prompt (REPL), for looking at its log and trying things by hand.',
  },
  {
    title: 'Konsol serial',
    intro: 'Prompt MicroPython (REPL) di board, untuk melihat log-nya dan mencoba perintah secara manual.',
  },
);
