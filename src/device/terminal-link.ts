// A plain serial session for the console: open at a baud, pass every byte both ways, reset the
// board with the same DTR/RTS pulse esptool uses. No DOM; the console view puts a terminal on it.
import { PortError, classifyPortError, closeQuietly, resetIntoProgram, type PortLease } from './port.ts';

export interface TerminalLink {
  write(bytes: Uint8Array | string): Promise<void>;
  /** EN low for 100 ms with IO0 high: the board restarts into its program. */
  hardReset(): Promise<void>;
  close(): Promise<void>;
  /** resolves when the session ends: closed by us, or the board went away */
  readonly ended: Promise<{ reason: 'closed' | 'unplugged'; detail?: string }>;
}

export async function openTerminal(lease: PortLease, baud: number, onData: (bytes: Uint8Array) => void): Promise<TerminalLink> {
  const port = lease.port;
  try {
    await port.open({ baudRate: baud });
  } catch (err) {
    await lease.release();
    throw classifyPortError(err, 'open');
  }
  // Opening raises DTR and RTS on Web Serial; on a two-transistor circuit both up means EN and
  // IO0 stay high, so the running program is not disturbed.
  await port.setSignals({ dataTerminalReady: false, requestToSend: false }).catch(() => undefined);
  const reader = port.readable!.getReader();
  const writer = port.writable!.getWriter();
  const encoder = new TextEncoder();
  let closing = false;

  const ended = (async (): Promise<{ reason: 'closed' | 'unplugged'; detail?: string }> => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value && value.length > 0) onData(value);
      }
      return { reason: 'closed' };
    } catch (err) {
      return closing ? { reason: 'closed' } : { reason: 'unplugged', detail: String((err as Error)?.message ?? err) };
    } finally {
      reader.releaseLock();
    }
  })();

  return {
    ended,
    async write(bytes) {
      try {
        await writer.write(typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
      } catch (err) {
        throw new PortError('unplugged', String((err as Error)?.message ?? err));
      }
    },
    hardReset: () => resetIntoProgram(port),
    async close() {
      if (closing) return;
      closing = true;
      await reader.cancel().catch(() => undefined);
      await ended;
      writer.releaseLock();
      await closeQuietly(port);
      await lease.release();
    },
  };
}
