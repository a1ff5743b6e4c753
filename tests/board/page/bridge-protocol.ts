// The messages between the page's serial stand-in and the WebSocket bridge in the test's Node
// process. One WebSocket per port the page got from requestPort(). Binary frames are serial data
// (page → board: bytes to write, each acknowledged with `written`; board → page: bytes read);
// text frames are these JSON messages. Shared by both ends, so it holds types only.

export interface WireError {
  name: string;
  message: string;
}

export interface WirePortInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

/** The page asks; each request carries an id its `result` answers. */
export type PageMessage =
  | { t: 'open'; id: number; baudRate: number }
  | { t: 'close'; id: number }
  | { t: 'signals'; id: number; signals: { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean } };

export type BridgeMessage =
  /** First message on every connection: the board this port is, or null when none was chosen. */
  | { t: 'hello'; board: string | null; info: WirePortInfo }
  | { t: 'result'; id: number; error?: WireError }
  /** The oldest binary frame not yet acknowledged reached the board (or failed to). */
  | { t: 'written'; error?: WireError }
  /** The board was unplugged: the port is gone until `replugged`. */
  | { t: 'lost' }
  | { t: 'replugged' }
  /** The lost port's device came back as a new port (Espressif's native USB after a reset). */
  | { t: 'renumerated' }
  /** A GPIO level changed (the lamp's LED), and once per known pin after `hello`. */
  | { t: 'gpio'; pin: number; level: 0 | 1 };

/** The page's event for everything the board shows besides its serial port. */
export const BOARD_EVENT = 'nyala-virtual-board';

export interface BoardEventDetail {
  board: string;
  kind: 'gpio';
  pin: number;
  level: 0 | 1;
}
