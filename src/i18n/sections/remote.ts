import { section } from '../types.ts';

export const remote = section(
  {
    title: 'Remote',
    intro: 'Switch your lamp on and off from here, on this computer or on your phone.',
  },
  {
    title: 'Remote',
    intro: 'Nyalakan dan matikan lampu Anda dari sini, di komputer ini atau di ponsel.',
  },
);
