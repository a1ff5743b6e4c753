// Boot: the language is chosen as ./ui/locale.ts loads, the shell renders, then the service worker.
import './ui/app.ts';
import { startPwa } from './ui/pwa.ts';

startPwa();
