// The part of the Web Serial `SerialPort` the adapters (RFC 2217 server, WebSocket bridge) use.
// Structural, so the virtual board's port and the browser's real port both fit it.
// Shape from the Web Serial API draft (https://wicg.github.io/serial/#serialport-interface).

export interface SerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export interface SerialPortInfoLike {
  usbVendorId?: number;
  usbProductId?: number;
}

export interface SerialPortLike {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: { baudRate: number }): Promise<void>;
  close(): Promise<void>;
  setSignals(signals: SerialSignals): Promise<void>;
  getInfo(): SerialPortInfoLike;
}
