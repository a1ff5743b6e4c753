// The board the person connected, shared by the views (install, upload, console): one port for
// the whole page, as docs/contracts.md says.
import { BoardPort, choosePort, PortError, type SerialChooser, type SerialPortInfo, type SerialPortLike } from '../device/port.ts';

let current: BoardPort | undefined;
const listeners = new Set<() => void>();

export function connectedPort(): BoardPort | undefined {
  return current;
}

export function onPortChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function set(next: BoardPort | undefined): void {
  current?.dispose();
  current = next;
  for (const l of listeners) l();
}

/** The browser's serial API: Web Serial on desktop, WebUSB behind the same port type on Android. */
export function serialApi(): SerialChooser | undefined {
  const nav = navigator as Navigator & { serial?: SerialChooser; usb?: UsbLike };
  if (nav.serial) return nav.serial;
  if (nav.usb) return webUsbChooser(nav.usb);
  return undefined;
}

interface UsbLike {
  requestDevice(options: { filters: { vendorId: number }[] }): Promise<UsbDeviceLike>;
}
interface UsbDeviceLike {
  vendorId: number;
  productId: number;
}

/** WCH's CH343 speaks CDC-ACM, unlike its CH340/CH341 siblings (esptool-js refuses it). */
const CH343_PID = 0x55d3;

/**
 * Android Chrome has WebUSB but no Web Serial. CH340/CH341 bridges speak WCH's vendor protocol,
 * which esptool-js's WebUSBSerialPort drives; Espressif's native USB and the CH343/CH9102 are
 * CDC-ACM, which web-serial-polyfill drives. CP210x and FTDI need drivers WebUSB cannot replace.
 * Both libraries load only when a phone actually connects a board.
 */
function webUsbChooser(usb: UsbLike): SerialChooser {
  return {
    async requestPort() {
      const device = await usb.requestDevice({ filters: [{ vendorId: 0x1a86 }, { vendorId: 0x303a }] });
      if (device.vendorId === 0x1a86 && device.productId !== CH343_PID) {
        const { WebUSBSerialPort } = await import('esptool-js');
        return new WebUSBSerialPort(device as never).asSerialPort() as unknown as SerialPortLike;
      }
      const { SerialPort } = await import('web-serial-polyfill');
      return new SerialPort(device as never) as unknown as SerialPortLike;
    },
  };
}

/** Whether this browser can reach a board at all (Web Serial, or WebUSB on Android). */
export function canReachBoards(): boolean {
  return serialApi() !== undefined;
}

/**
 * `via: 'usb'` takes the WebUSB path even where Web Serial exists: Chrome on Android has Web Serial
 * (148+) but it does not see every USB adapter.
 */
export async function pickPort(showAll: boolean, via?: 'usb'): Promise<BoardPort> {
  const usb = (navigator as Navigator & { usb?: UsbLike }).usb;
  const serial = via === 'usb' ? usb && webUsbChooser(usb) : serialApi();
  if (!serial) throw new PortError('unsupported');
  return adopt(await choosePort(serial, showAll));
}

/** Make `port` the page's board, until its device goes away. */
function adopt(port: BoardPort): BoardPort {
  set(port);
  port.raw.addEventListener?.('disconnect', () => {
    if (current === port) set(undefined);
  });
  return port;
}

interface SerialWithEvents {
  getPorts?(): Promise<SerialPortLike[]>;
  addEventListener?(type: 'connect', fn: (e: Event) => void): void;
  removeEventListener?(type: 'connect', fn: (e: Event) => void): void;
}

/**
 * After a reset, Espressif's native USB comes back as a new port with the same USB ids; the
 * browser lets this page open it without asking when it was granted before. Resolves with it
 * (now the page's board), or undefined when it is not back within `ms`.
 */
export function portCameBack(info: SerialPortInfo, old: SerialPortLike | undefined, signal: AbortSignal, ms = 10_000): Promise<BoardPort | undefined> {
  const serial = (navigator as Navigator & { serial?: SerialWithEvents }).serial;
  const getPorts = serial?.getPorts?.bind(serial);
  if (!serial || !getPorts) return Promise.resolve(undefined);
  const same = (p: SerialPortLike) => {
    const i = p.getInfo();
    return i.usbVendorId === info.usbVendorId && i.usbProductId === info.usbProductId;
  };
  return new Promise((resolve) => {
    let over = false;
    const done = (p: SerialPortLike | undefined) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      serial.removeEventListener?.('connect', onConnect);
      signal.removeEventListener('abort', onAbort);
      resolve(p ? adopt(new BoardPort(p)) : undefined);
    };
    const onConnect = (e: Event) => {
      const p = e.target as unknown as SerialPortLike | null;
      if (p && typeof p.getInfo === 'function' && same(p)) done(p);
    };
    const onAbort = () => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    serial.addEventListener?.('connect', onConnect);
    signal.addEventListener('abort', onAbort, { once: true });
    // It may be back already (the old object stays listed until it is gone: not that one).
    // (A failing getPorts leaves the 'connect' event and, after `ms`, the person's choice.)
    void getPorts().then(
      (ports) => {
        const p = ports.find((q) => q !== old && same(q));
        if (p) done(p);
      },
      () => undefined,
    );
  });
}

export function forgetPort(): void {
  set(undefined);
}
