// An RFC 2217 ("Telnet Com Port Control Option") server on a TCP port that exposes one board's
// serial port, so standard tools reach the virtual board: pyserial's `rfc2217://` URLs
// (esptool.py, mpremote), or any telnet client for the data alone.
//
// One client at a time, as ser2net does: a second connection while one is active is closed at
// once. The board port is opened at the first SET-BAUDRATE (or the first data) and closed when
// the client goes; an unplug of the board drops the client, as a vanished tty does.

import { createServer, type Server } from 'node:net';
import { Session, type SessionOptions } from './rfc2217-session.ts';

export { COM_PORT_OPTION, CONTROL, CPO, PURGE, SERVER_OFFSET } from './rfc2217-codes.ts';

export interface Rfc2217ServerOptions extends SessionOptions {
  /** TCP port to listen on; 0 (the default) picks a free one. */
  tcpPort?: number;
  /** Address to listen on; default 127.0.0.1 (the board is a test double, not a network service). */
  host?: string;
}

export interface Rfc2217Server {
  /** `rfc2217://127.0.0.1:<port>`, what pyserial and esptool.py take as a port name. */
  readonly url: string;
  readonly tcpPort: number;
  /** Resolves once no client is connected and the board port is closed again. */
  whenIdle(): Promise<void>;
  /** Stops listening, drops the client and closes the board port. */
  close(): Promise<void>;
}

export async function startRfc2217Server(options: Rfc2217ServerOptions): Promise<Rfc2217Server> {
  const host = options.host ?? '127.0.0.1';
  let active: Session | null = null;
  // A new client may arrive while the previous one's port is still closing: it waits for that.
  let previousTeardown: Promise<void> = Promise.resolve();

  const server: Server = createServer((socket) => {
    if (active !== null && !active.disconnected) {
      socket.destroy();
      return;
    }
    const session = new Session(socket, options, previousTeardown);
    active = session;
    previousTeardown = session.ended;
    void session.ended.then(() => {
      if (active === session) active = null;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.tcpPort ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('RFC 2217 server has no TCP address');
  const tcpPort = address.port;

  return {
    url: `rfc2217://${host}:${tcpPort}`,
    tcpPort,
    async whenIdle() {
      for (let session = active; session !== null; session = active) await session.ended;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      active?.drop();
      await previousTeardown;
      await closed;
    },
  };
}
