// The repo's lamp firmware (firmware/*.py, byte for byte) on the virtual board: it joins the
// simulated Wi-Fi, reaches a real aedes broker over the board's sockets, obeys "on", and the
// uploader's first step (Ctrl-C into the raw REPL) still gets through while it runs.

import { afterEach, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createBoard, testImage, type Board } from '../index.ts';
import { createMicroPython, writeBoardFiles } from './index.ts';
import { PortTerminal } from './port-terminal.ts';
import { enterRaw, execRaw } from './repl-helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

it('runs the lamp firmware against a real broker and still yields to Ctrl-C', async () => {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => aedes.close(() => r())), () => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;

  const image = new Uint8Array(4 * 1024 * 1024).fill(0xff);
  image.set(testImage('esp8266'), 0);
  const files: Record<string, string> = {};
  for (const f of ['main.py', 'mqtt.py', 'wifi.py']) files[f] = readFileSync(new URL(`../../../firmware/${f}`, import.meta.url), 'utf8');
  files['config.json'] = JSON.stringify({
    version: 1,
    wifi: { ssid: 'home', password: 'secret' },
    mqtt: { host: '127.0.0.1', port },
    topics: { command: 'sooko/lampu', reply: 'loger' },
  });
  writeBoardFiles(image, 'esp8266', files);
  const board: Board = createBoard({
    chip: 'esp8266',
    flashImage: image,
    app: createMicroPython().app,
    timeScale: 0.05,
    accessPoints: [{ ssid: 'home', password: 'secret' }],
  });
  const term = await PortTerminal.open(board);
  cleanup.push(() => board.close(), () => term.close());
  await term.waitFor('nyala: mqtt ok', 20_000);

  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`);
  cleanup.push(() => new Promise<void>((r) => client.end(true, {}, () => r())));
  await new Promise((r) => client.once('connect', r));
  await client.subscribeAsync('loger');
  const reply = new Promise<string>((r) => client.once('message', (topic, m) => r(`${topic} ${m.toString()}`)));
  await client.publishAsync('sooko/lampu', 'on');
  expect(await reply).toBe('loger saya hidup');
  await board.gpio.waitFor(2, 0); // the ESP8266 LED is active low

  await enterRaw(term);
  expect(await execRaw(term, 'print("uploader here")')).toEqual({ out: 'uploader here\r\n', err: '' });
});
