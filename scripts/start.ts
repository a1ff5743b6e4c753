// npm start — Nyala on localhost, working end to end with no hardware and no internet:
//   the app (Vite dev server), a local MQTT broker (aedes: TCP for the boards, WebSocket for the
//   page), and two virtual boards (ESP8266, ESP32) running real MicroPython behind a WebSocket
//   bridge that the page's port picker offers beside real ports. Ctrl-C stops all of it.
import { createServer as createNetServer } from 'node:net';
import { createServer } from 'vite';
import { createBoard, testImage, type Board } from '../tests/board/index.ts';
import { micropythonApp } from '../tests/board/micropython/index.ts';
import { bridged, startWsBridge } from '../tests/board/ws-bridge.ts';
import { TestBroker } from '../tests/unit/lamp/harness.ts';
import { nyalaDemo } from './demo/vite-plugin.ts';
import type { DemoConfig } from './demo/config.ts';

/** The access point the virtual boards can join; the settings form is prefilled with it. */
const WIFI = { ssid: 'Nyala-Demo', password: 'nyala1234' };

/** The usual port when it is free, else any free one: a second `npm start` must not fail. */
async function portOr(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.once('error', () => {
      const any = createNetServer();
      any.listen(0, '127.0.0.1', () => {
        const a = any.address();
        any.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(preferred)));
  });
}

const broker = new TestBroker();
broker.tcpPort = await portOr(1883);
broker.wsPort = await portOr(9001);
await broker.start();

const accessPoints = [WIFI];
const boards: Record<string, Board> = {
  esp8266: createBoard({ chip: 'esp8266', flashSize: '4MB', app: micropythonApp, accessPoints, timeScale: 1 }),
  esp32: createBoard({ chip: 'esp32', flashSize: '4MB', app: micropythonApp, accessPoints, timeScale: 1 }),
};
const bridge = await startWsBridge({ boards: Object.fromEntries(Object.entries(boards).map(([n, b]) => [n, bridged(b)])) });

const config: DemoConfig = {
  bridgeUrl: bridge.url,
  chooseUrl: '/__nyala/choose',
  boards: [
    { name: 'esp8266', label: 'Virtual board ESP8266', chip: 'esp8266' },
    { name: 'esp32', label: 'Virtual board ESP32', chip: 'esp32' },
  ],
  broker: { name: 'Local broker', host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl },
  wifi: WIFI,
};

const server = await createServer({
  server: { host: 'localhost', port: Number(process.env.PORT ?? (await portOr(5173))), strictPort: false },
  plugins: [
    nyalaDemo({
      config: { ...config, chooseUrl: `${process.env.NYALA_BASE ?? '/'}__nyala/choose`.replace(/\/+/g, '/') },
      choose: (name) => bridge.choose(name),
      images: { esp8266: testImage('esp8266'), esp32: testImage('esp32') },
    }),
  ],
});
await server.listen();
server.printUrls();
console.log(`  ➜  MQTT broker: mqtt://127.0.0.1:${broker.tcpPort} (boards), ${broker.wsUrl} (page)`);
console.log(`  ➜  Virtual boards: ESP8266 and ESP32, Wi-Fi "${WIFI.ssid}" / "${WIFI.password}"`);
console.log('  ➜  Ctrl-C stops everything');

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await server.close();
      await bridge.close();
      for (const b of Object.values(boards)) await b.close();
      await broker.stop();
      process.exit(0);
    })();
  });
}
