// A port that is always the board's port of the moment: the RFC 2217 server and the command line
// keep one object while an ESP32-C3 on its own USB re-enumerates as a new port after a reset (as a
// server on a udev name like /dev/serial/by-id/usb-Espressif… finds the device again). A client
// that had the old port open loses it, as with a vanished tty; the next one opens the new port.
import type { Board } from './index.ts';
import type { SerialPortLike } from './port-like.ts';

export function followPort(board: Pick<Board, 'port'>): SerialPortLike {
  return {
    get readable() {
      return board.port.readable;
    },
    get writable() {
      return board.port.writable;
    },
    open: (options) => board.port.open(options),
    close: () => board.port.close(),
    setSignals: (signals) => board.port.setSignals(signals),
    getInfo: () => board.port.getInfo(),
  };
}
