// A port that is always the board's port of the moment: the RFC 2217 server, the command line and
// the page bridge keep one object while an ESP32-C3 on its own USB re-enumerates as a new port
// after a reset (as a server on a udev name like /dev/serial/by-id/usb-Espressif… finds the device
// again). A client that had the old port open loses it, as with a vanished tty; the next one opens
// the new port. `disconnect` and `connect` of whichever port is current are passed on.
import type { Board, VirtualSerialPort } from './index.ts';
import type { SerialPortLike } from './port-like.ts';

export interface FollowingPort extends SerialPortLike, EventTarget {
  readonly connected: boolean;
}

export function followPort(board: Pick<Board, 'port' | 'usb'>): FollowingPort {
  const events = new EventTarget();
  let current: VirtualSerialPort | undefined;
  const pass = (e: Event): void => void events.dispatchEvent(new Event(e.type));
  const attach = (): void => {
    current?.removeEventListener('disconnect', pass);
    current?.removeEventListener('connect', pass);
    current = board.port;
    current.addEventListener('disconnect', pass);
    current.addEventListener('connect', pass);
  };
  attach();
  board.usb.addEventListener('port', attach);
  // Accessors, not copies: each read asks the board for its port of the moment.
  Object.defineProperties(events, {
    readable: { get: () => board.port.readable },
    writable: { get: () => board.port.writable },
    connected: { get: () => board.port.connected },
    open: { value: (options: { baudRate: number }) => board.port.open(options) },
    close: { value: () => board.port.close() },
    setSignals: { value: (signals: Parameters<SerialPortLike['setSignals']>[0]) => board.port.setSignals(signals) },
    getInfo: { value: () => board.port.getInfo() },
  });
  return events as FollowingPort;
}
