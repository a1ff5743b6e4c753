// What `npm start` tells the page about the embedded default: where the virtual boards and the
// local broker are, and the Wi-Fi the virtual boards can join. Shared by the dev server plugin
// and the page script; nothing of it is in the production build.

export interface DemoBoard {
  name: string;
  label: string;
  chip: 'esp8266' | 'esp32';
}

export interface DemoConfig {
  /** the WebSocket bridge the navigator.serial stand-in reaches the boards through */
  bridgeUrl: string;
  /** POST a board name here to make it the one the next requestPort() gets */
  chooseUrl: string;
  boards: DemoBoard[];
  broker: { name: string; host: string; port: number; ws: string };
  wifi: { ssid: string; password: string };
}

/** Where the page finds it (set by the demo script before the app starts; read by src/ui/demo-hooks.ts). */
export { DEMO_GLOBAL } from '../../src/ui/demo-hooks.ts';
