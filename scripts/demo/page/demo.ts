// The embedded default in the page (npm start only): the navigator.serial stand-in wrapping the
// real one, a port picker that offers the virtual boards beside real ports, and a drawing of the
// boards with their LEDs so a newcomer sees the lamp switch.
import { installSerialStandin } from '../../../tests/board/page/serial-standin.ts';
import type { BridgeMessage } from '../../../tests/board/page/bridge-protocol.ts';
import { DEMO_GLOBAL, type DemoBoard, type DemoConfig } from '../config.ts';

interface SerialLike {
  requestPort(options?: unknown): Promise<unknown>;
}

export function startDemo(config: DemoConfig): void {
  (globalThis as Record<string, unknown>)[DEMO_GLOBAL] = config;
  const hadRealSerial = 'serial' in navigator;
  installSerialStandin(config.bridgeUrl);
  const serial = (navigator as unknown as { serial: SerialLike }).serial;
  const standinRequest = serial.requestPort.bind(serial);

  Object.defineProperty(serial, 'requestPort', {
    configurable: true,
    writable: true,
    value: async (options?: unknown) => {
      const choice = await pick(config.boards, hadRealSerial);
      if (choice === null) throw new DOMException('No port selected by the user.', 'NotFoundError');
      await fetch(config.chooseUrl, { method: 'POST', body: choice === 'real' ? '' : choice.name });
      // Virtual boards answer the usual filters; a real port goes through the browser's chooser.
      return standinRequest(choice === 'real' ? options : undefined);
    },
  });
  document.addEventListener('DOMContentLoaded', () => drawBoards(config.boards, config.bridgeUrl), { once: true });
}

/** A small dialog: which board? Resolves null when the person cancels. */
function pick(boards: DemoBoard[], realToo: boolean): Promise<DemoBoard | 'real' | null> {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.setAttribute('aria-labelledby', 'nyala-demo-pick-title');
    dialog.style.cssText = 'border-radius:12px;border:1px solid #888;padding:1rem 1.25rem;font:inherit;max-width:22rem';
    const title = document.createElement('h2');
    title.id = 'nyala-demo-pick-title';
    title.textContent = 'Pilih port · Choose a port';
    title.style.cssText = 'font-size:1.1rem;margin:0 0 .75rem';
    dialog.append(title);
    const done = (v: DemoBoard | 'real' | null) => {
      dialog.close();
      dialog.remove();
      resolve(v);
    };
    const button = (text: string, v: DemoBoard | 'real' | null) => {
      const b = document.createElement('button');
      b.textContent = text;
      b.style.cssText = 'display:block;width:100%;min-height:44px;margin:.35rem 0;font:inherit';
      b.addEventListener('click', () => done(v));
      dialog.append(b);
      return b;
    };
    const first = boards.map((b) => button(`${b.label}`, b))[0];
    if (realToo) button('Port USB sungguhan… · A real USB port…', 'real');
    button('Batal · Cancel', null);
    dialog.addEventListener('cancel', () => done(null));
    document.body.append(dialog);
    dialog.showModal();
    first?.focus();
  });
}

/**
 * The virtual boards, drawn with their on-board LED (GPIO2), lit as the lamp is. A strip at the
 * top of the page, in the flow, so it never covers a control. Each board is watched on its own
 * bridge connection (never opened as a port), so every page shows its LED: the installing page
 * after it let go of the port, and the phone page that only has the remote.
 */
function drawBoards(boards: DemoBoard[], bridgeUrl: string): void {
  const panel = document.createElement('aside');
  panel.setAttribute('aria-label', 'Virtual boards');
  panel.dataset.testid = 'virtual-boards';
  panel.style.cssText =
    'display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;padding:.3rem .75rem;font:12px system-ui;background:#0f3d26;color:#fff';
  const note = document.createElement('span');
  note.textContent = 'npm start ·';
  panel.append(note);
  for (const b of boards) {
    const card = document.createElement('div');
    card.style.cssText = 'background:#1f6f43;color:#fff;border-radius:6px;padding:.2rem .5rem;display:flex;align-items:center;gap:.4rem';
    const led = document.createElement('span');
    led.setAttribute('role', 'img');
    led.style.cssText = 'width:12px;height:12px;border-radius:50%;background:#333;box-shadow:none;display:inline-block';
    card.append(led, document.createTextNode(b.label));
    panel.append(card);
    setLed(led, false, b.label);
    watchLed(bridgeUrl, b, (on) => setLed(led, on, b.label));
  }
  document.body.prepend(panel);
}

/** GPIO2 of one board from the bridge (its levels on connect, then each change); reconnects. */
function watchLed(bridgeUrl: string, board: DemoBoard, show: (on: boolean) => void): void {
  const url = new URL(bridgeUrl);
  url.searchParams.set('board', board.name);
  const ws = new WebSocket(url);
  let retry = true;
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    const m = JSON.parse(e.data) as BridgeMessage;
    if (m.t === 'hello' && m.board === null) ws.close();
    // ESP-12 modules' LED is wired to 3.3 V (on when GPIO2 is low); DevKit boards' to GND.
    if (m.t === 'gpio' && m.pin === 2) show(board.chip === 'esp8266' ? m.level === 0 : m.level === 1);
  });
  ws.addEventListener('close', () => {
    // Unplugged, or the dev server restarted: look again shortly.
    if (retry) setTimeout(() => watchLed(bridgeUrl, board, show), 2_000);
    retry = false;
  });
}

function setLed(el: HTMLElement, on: boolean, name: string): void {
  el.style.background = on ? '#ffd54a' : '#333';
  el.style.boxShadow = on ? '0 0 10px 3px #ffd54a' : 'none';
  el.setAttribute('aria-label', `${name} LED ${on ? 'on · nyala' : 'off · mati'}`);
  el.dataset.on = String(on);
}
