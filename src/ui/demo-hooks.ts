// What `npm start` tells the page (scripts/demo puts it on globalThis before the app starts): the
// local broker and the virtual boards' Wi-Fi, so the settings start filled in. In a production
// build nothing sets it and these functions change nothing.
import type { LampSettings } from '../lamp/settings.ts';

export interface DemoInfo {
  broker: { name: string; host: string; port: number; ws: string };
  wifi: { ssid: string; password: string };
}

export const DEMO_GLOBAL = '__NYALA_DEMO__';

export function demoInfo(): DemoInfo | undefined {
  return (globalThis as Record<string, unknown>)[DEMO_GLOBAL] as DemoInfo | undefined;
}

/** New-lamp settings with the local broker and the demo Wi-Fi, when running under npm start. */
export function demoSettings(settings: LampSettings): LampSettings {
  const demo = demoInfo();
  if (!demo) return settings;
  return {
    ...settings,
    broker: { ...settings.broker, preset: 'custom', host: demo.broker.host, port: demo.broker.port, ws: demo.broker.ws },
    wifi: { ...demo.wifi },
  };
}
