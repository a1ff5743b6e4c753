// The application a board runs after a normal boot until part 2 brings MicroPython: it says
// hello and echoes what it hears, so tests can see the ROM handed the UART over.
import type { BoardApp, BoardAppContext } from './app.ts';

export const ECHO_GREETING = 'echo app ready\r\n';

export function echoApp(ctx: BoardAppContext): BoardApp {
  let stopped = false;
  void ctx.uartWrite(new TextEncoder().encode(ECHO_GREETING));
  return {
    receive(bytes) {
      if (!stopped) void ctx.uartWrite(bytes);
    },
    async stop() {
      stopped = true;
    },
  };
}
