// One RFC 2217 client connection on the board's port: telnet negotiation, the com-port commands
// answered as RFC 2217 asks, and the data both ways in the order the client sent it.

import type { Socket } from 'node:net';
import type { SerialPortLike, SerialSignals } from './port-like.ts';
import {
  COM_PORT_OPTION,
  CONTROL,
  CPO,
  DATASIZE_8,
  LINESTATE_TX_EMPTY,
  PARITY_NONE,
  PURGE,
  SERVER_OFFSET,
  STOPSIZE_1,
} from './rfc2217-codes.ts';
import {
  OPT_BINARY,
  OPT_SGA,
  TelnetDecoder,
  TelnetOptions,
  escapeIac,
  subnegotiation,
  type TelnetEvent,
} from './telnet.ts';

/**
 * How long a DTR raise that would let the chip out of reset waits for the RTS drop that follows
 * it in esptool's classic reset. RFC 2217 carries DTR and RTS as separate commands, and pyserial
 * waits for each acknowledgement (polling every 50 ms), so the two arrive 50–100 ms apart (the
 * hold leaves room for a busy machine). In between, (DTR, RTS) = (1, 1) lets EN rise (a board's
 * RC holds it for a millisecond or so), and the chip boots normally long before RTS drops and
 * IO0 goes low. On real boards this is esptool issue #383 ("automatic resetting due to network
 * latency"), which esptool's own esp_rfc2217_server works around by replaying the reset locally. This
 * server applies the two changes together instead, as a local port does in one TIOCMSET
 * (esptool's UnixTightReset), and otherwise passes DTR and RTS through as they come.
 */
const RESET_RELEASE_HOLD_MS = 1000;

/** Above this many bytes waiting for the board we stop reading the socket (TCP pushes back). */
const QUEUE_HIGH_WATER = 64 * 1024;

/** What a session needs: the board port and how to answer. */
export interface SessionOptions {
  /** The board's Web-Serial-shaped port. */
  port: SerialPortLike;
  /** Baud the board port opens at when a client sends data before any SET-BAUDRATE. */
  defaultBaud?: number;
  /** Answer to a client's SIGNATURE request. */
  signature?: string;
  /** Why a client was dropped (an unplug, a port that would not open); default: ignored. */
  onError?: (error: unknown) => void;
}

/** Resolves when the socket can take more (or is gone), so a slow client slows the board pump. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

type Op =
  | { kind: 'write'; bytes: Uint8Array }
  /** `control` marks SET-CONTROL, which deals with a held DTR raise itself. */
  | { kind: 'task'; run: () => Promise<void>; control?: boolean };

/** One client connection: telnet negotiation, the com-port commands, and the data both ways. */
export class Session {
  readonly ended: Promise<void>;
  disconnected = false;

  private readonly decoder = new TelnetDecoder();
  private readonly telnet: TelnetOptions;
  private readonly port: SerialPortLike;
  private readonly defaultBaud: number;

  private queue: Op[] = [];
  private queuedBytes = 0;
  private runner: Promise<void> | null = null;

  /** Baud the board port is open at; null while closed. */
  private baud: number | null = null;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private pump: Promise<void> | null = null;
  /** Counts reopenings so a pump that ends because of one is not taken for an unplug. */
  private generation = 0;

  /** Signal levels the client set, applied again whenever the port is (re)opened. */
  private readonly signals: SerialSignals = {};
  /** A DTR raise not yet applied (RESET_RELEASE_HOLD_MS), with its deadline. */
  private heldRelease: ReturnType<typeof setTimeout> | null = null;
  private modemStateMask = 255; // RFC 2217, p. 11: "The initial MODEMSTATE-MASK … is 255."
  private lineStateMask = 0; // RFC 2217, p. 10: "The initial LINESTATE-MASK … is 0."
  private comPortAgreed = false;
  private suspended: { promise: Promise<void>; resume: () => void } | null = null;
  private finish!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions,
    private readonly previousTeardown: Promise<void>,
  ) {
    this.port = options.port;
    this.defaultBaud = options.defaultBaud ?? 115200;
    this.ended = new Promise((resolve) => (this.finish = resolve));
    socket.setNoDelay(true);

    // We perform and accept BINARY (8-bit data both ways), SUPPRESS-GO-AHEAD (full duplex) and
    // COM-PORT-OPTION; ECHO and everything else are refused.
    const both = new Set([OPT_BINARY, OPT_SGA, COM_PORT_OPTION]);
    this.telnet = new TelnetOptions(both, both, (b) => this.sendRaw(b), (_side, option) => {
      if (option === COM_PORT_OPTION && !this.comPortAgreed) {
        this.comPortAgreed = true;
        // RFC 2217 clients (pyserial's `cts`, `dsr`…) read the modem lines from the last
        // notification, so they get one as soon as the option is on.
        this.notifyModemState();
      }
    });
    this.telnet.offer(OPT_BINARY);
    this.telnet.ask(OPT_BINARY);
    this.telnet.offer(OPT_SGA);
    this.telnet.ask(OPT_SGA);
    this.telnet.offer(COM_PORT_OPTION);

    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('close', () => void this.teardown());
    socket.on('error', () => void this.teardown());
  }

  /** Ends the session from the server side. */
  drop(): void {
    this.socket.destroy();
    void this.teardown();
  }

  private onSocketData(chunk: Buffer): void {
    for (const event of this.decoder.decode(chunk)) this.handle(event);
  }

  private handle(event: TelnetEvent): void {
    switch (event.kind) {
      case 'data':
        this.enqueue({ kind: 'write', bytes: event.bytes });
        break;
      case 'negotiate':
        this.telnet.receive(event.verb, event.option);
        break;
      case 'subnegotiation':
        if (event.option === COM_PORT_OPTION) this.comPortCommand(event.payload);
        break;
      case 'command':
        // NOP, AYT, BRK…: RFC 2217 uses none of them; a break is sent with SET-CONTROL.
        break;
    }
  }

  private comPortCommand(payload: Uint8Array): void {
    const code = payload[0];
    const value = payload.subarray(1);
    const first = value[0] ?? 0;
    switch (code) {
      case CPO.SIGNATURE:
        // An empty signature asks for ours; a non-empty one is the client introducing itself.
        if (value.length === 0) {
          const text = this.options.signature ?? 'Nyala virtual board';
          this.reply(CPO.SIGNATURE, new TextEncoder().encode(text));
        }
        break;
      case CPO.SET_BAUDRATE: {
        if (value.length < 4) break;
        const requested = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
        this.enqueueTask(async () => {
          if (requested !== 0) await this.useBaud(requested);
          const answer = new Uint8Array(4);
          new DataView(answer.buffer).setUint32(0, this.baud ?? this.defaultBaud);
          this.reply(CPO.SET_BAUDRATE, answer);
        });
        break;
      }
      // The board's UART frame is fixed at 8N1. RFC 2217 answers with the value in use, so a
      // request for anything else is refused by answering 8N1 (pyserial then raises).
      case CPO.SET_DATASIZE:
        this.enqueueTask(async () => this.reply(CPO.SET_DATASIZE, Uint8Array.of(DATASIZE_8)));
        break;
      case CPO.SET_PARITY:
        this.enqueueTask(async () => this.reply(CPO.SET_PARITY, Uint8Array.of(PARITY_NONE)));
        break;
      case CPO.SET_STOPSIZE:
        this.enqueueTask(async () => this.reply(CPO.SET_STOPSIZE, Uint8Array.of(STOPSIZE_1)));
        break;
      case CPO.SET_CONTROL:
        this.enqueue({
          kind: 'task',
          control: true,
          run: async () => this.reply(CPO.SET_CONTROL, Uint8Array.of(await this.control(first))),
        });
        break;
      case CPO.NOTIFY_LINESTATE:
        // A poll (pyserial's server reads it so too): nothing is lost or broken on this line;
        // the transmit side is empty when nothing waits for the board.
        this.reply(CPO.NOTIFY_LINESTATE, Uint8Array.of(this.queue.length === 0 ? LINESTATE_TX_EMPTY : 0));
        break;
      case CPO.NOTIFY_MODEMSTATE:
        this.notifyModemState();
        break;
      case CPO.FLOWCONTROL_SUSPEND:
        // The client asks us to stop sending it data until it resumes (RFC 2217, p. 13).
        if (this.suspended === null) {
          let resume!: () => void;
          const promise = new Promise<void>((r) => (resume = r));
          this.suspended = { promise, resume };
        }
        break;
      case CPO.FLOWCONTROL_RESUME:
        this.suspended?.resume();
        this.suspended = null;
        break;
      case CPO.SET_LINESTATE_MASK:
        this.lineStateMask = first;
        this.reply(CPO.SET_LINESTATE_MASK, Uint8Array.of(this.lineStateMask));
        break;
      case CPO.SET_MODEMSTATE_MASK:
        this.modemStateMask = first;
        this.reply(CPO.SET_MODEMSTATE_MASK, Uint8Array.of(this.modemStateMask));
        break;
      case CPO.PURGE_DATA:
        if (first === PURGE.TRANSMIT || first === PURGE.BOTH) {
          // Data the client sent that has not reached the board yet is discarded now; a write
          // already on the line cannot be called back, as with a real UART.
          this.queue = this.queue.filter((op) => op.kind !== 'write');
          this.queuedBytes = 0;
          this.resumeSocket();
        }
        // Board data is handed to the socket as it arrives, so the receive side holds nothing.
        if (first >= PURGE.RECEIVE && first <= PURGE.BOTH) this.reply(CPO.PURGE_DATA, Uint8Array.of(first));
        break;
      default:
        // Unknown commands are ignored, as RFC 2217 asks of both ends.
        break;
    }
  }

  /** Applies a SET-CONTROL value and returns the answer: the state now in effect. */
  private async control(value: number): Promise<number> {
    switch (value) {
      case CONTROL.DTR_ON:
        if (this.signals.requestToSend === true && this.signals.dataTerminalReady === false && this.heldRelease === null) {
          // RTS holds the chip in reset and DTR is about to go up: see RESET_RELEASE_HOLD_MS.
          // The client is told it is done; the board gets it with the RTS drop, or on its own
          // once the hold runs out or anything else comes first.
          this.signals.dataTerminalReady = true;
          this.heldRelease = setTimeout(() => this.enqueueTask(async () => undefined), RESET_RELEASE_HOLD_MS);
          return value;
        }
        await this.releaseHeld();
        await this.setSignals({ dataTerminalReady: true });
        return value;
      case CONTROL.RTS_OFF:
        if (this.heldRelease !== null) {
          clearTimeout(this.heldRelease);
          this.heldRelease = null;
          await this.setSignals({ dataTerminalReady: true, requestToSend: false });
          return value;
        }
        await this.setSignals({ requestToSend: false });
        return value;
      case CONTROL.DTR_OFF:
      case CONTROL.RTS_ON:
        await this.releaseHeld();
        await this.setSignals(value === CONTROL.DTR_OFF ? { dataTerminalReady: false } : { requestToSend: true });
        return value;
      case CONTROL.BREAK_ON:
      case CONTROL.BREAK_OFF:
        await this.releaseHeld();
        await this.setSignals({ break: value === CONTROL.BREAK_ON });
        return value;
      // Until a client sets them, the lines are as a freshly opened port leaves them: asserted
      // (a POSIX tty raises DTR and RTS on open).
      case CONTROL.REQ_DTR:
        return this.signals.dataTerminalReady === false ? CONTROL.DTR_OFF : CONTROL.DTR_ON;
      case CONTROL.REQ_RTS:
        return this.signals.requestToSend === false ? CONTROL.RTS_OFF : CONTROL.RTS_ON;
      case CONTROL.REQ_BREAK:
        return this.signals.break === true ? CONTROL.BREAK_ON : CONTROL.BREAK_OFF;
      // An ESP board's USB-serial chip wires RTS and DTR to reset and boot, never to flow
      // control, so no flow control is the only setting; other requests get it as the answer.
      case CONTROL.REQ_FLOW_IN:
      case CONTROL.FLOW_IN_NONE:
      case CONTROL.FLOW_IN_XONXOFF:
      case CONTROL.FLOW_IN_HARDWARE:
      case CONTROL.FLOW_IN_DTR:
        return CONTROL.FLOW_IN_NONE;
      default:
        return CONTROL.FLOW_NONE;
    }
  }

  /** Applies a held DTR raise now (before any other command or data reaches the board). */
  private async releaseHeld(): Promise<void> {
    if (this.heldRelease === null) return;
    clearTimeout(this.heldRelease);
    this.heldRelease = null;
    await this.ensureOpen();
    await this.port.setSignals({ dataTerminalReady: true });
  }

  private async setSignals(change: SerialSignals): Promise<void> {
    Object.assign(this.signals, change);
    await this.ensureOpen();
    await this.port.setSignals(change);
  }

  private notifyModemState(): void {
    // The board's USB-serial chip has no modem lines wired (CTS, DSR, RI, CD all inactive).
    const modemState = 0;
    this.reply(CPO.NOTIFY_MODEMSTATE, Uint8Array.of(modemState & this.modemStateMask));
  }

  private reply(code: number, value: Uint8Array): void {
    this.sendRaw(subnegotiation(COM_PORT_OPTION, Uint8Array.of(code + SERVER_OFFSET, ...value)));
  }

  private sendRaw(bytes: Uint8Array): void {
    if (!this.disconnected) this.socket.write(bytes);
  }

  // --- ordered work on the board port -------------------------------------------------------

  private enqueueTask(run: () => Promise<void>): void {
    this.enqueue({ kind: 'task', run });
  }

  /** Data and commands reach the board in the order the client sent them: a DTR change the
   *  client saw acknowledged precedes the bytes it sends next. */
  private enqueue(op: Op): void {
    if (this.disconnected) return;
    this.queue.push(op);
    if (op.kind === 'write') {
      this.queuedBytes += op.bytes.length;
      if (this.queuedBytes > QUEUE_HIGH_WATER) this.socket.pause();
    }
    this.runner ??= this.runQueue().finally(() => (this.runner = null));
  }

  private async runQueue(): Promise<void> {
    try {
      for (let op = this.queue.shift(); op !== undefined && !this.disconnected; op = this.queue.shift()) {
        if (op.kind === 'write') {
          this.queuedBytes -= op.bytes.length;
          this.resumeSocket();
          await this.releaseHeld();
          await this.ensureOpen();
          await this.writer?.write(op.bytes);
        } else {
          if (op.control !== true) await this.releaseHeld();
          await op.run();
        }
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private resumeSocket(): void {
    if (this.queuedBytes <= QUEUE_HIGH_WATER / 2 && this.socket.isPaused()) this.socket.resume();
  }

  private async ensureOpen(): Promise<void> {
    if (this.baud === null) await this.openAt(this.defaultBaud);
  }

  private async useBaud(baud: number): Promise<void> {
    if (this.baud === baud) return;
    if (this.baud !== null) {
      // Web Serial has no baud change on an open port: close it and open it again.
      await this.closePort();
    }
    await this.openAt(baud);
  }

  private async openAt(baud: number): Promise<void> {
    await this.previousTeardown;
    await this.port.open({ baudRate: baud });
    this.baud = baud;
    const readable = this.port.readable;
    const writable = this.port.writable;
    if (readable === null || writable === null) throw new Error('board port opened without streams');
    this.reader = readable.getReader();
    this.writer = writable.getWriter();
    this.generation++;
    this.pump = this.pumpToClient(this.reader, this.generation);
    const { dataTerminalReady, requestToSend } = this.signals;
    // Set both lines in one call: changing them one by one would pass through a state the
    // auto-reset circuit reads as a reset.
    if (dataTerminalReady !== undefined || requestToSend !== undefined) {
      await this.port.setSignals({ dataTerminalReady, requestToSend });
    }
  }

  private async pumpToClient(reader: ReadableStreamDefaultReader<Uint8Array>, generation: number): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (this.suspended !== null) await this.suspended.promise;
        if (this.disconnected) break;
        if (!this.socket.write(escapeIac(value))) await drained(this.socket);
      }
      // The stream ended without us cancelling it: the board port is gone.
      if (generation === this.generation && !this.disconnected) this.fail(new Error('board port closed'));
    } catch (error) {
      if (generation === this.generation && !this.disconnected) this.fail(error);
    }
  }

  private async closePort(): Promise<void> {
    this.generation++;
    const { reader, writer, pump } = this;
    this.reader = null;
    this.writer = null;
    this.pump = null;
    this.baud = null;
    await reader?.cancel().catch(() => undefined);
    await pump;
    reader?.releaseLock();
    writer?.releaseLock();
    await this.port.close();
  }

  private fail(error: unknown): void {
    if (this.disconnected) return;
    this.options.onError?.(error);
    this.drop();
  }

  private tearingDown: Promise<void> | null = null;

  private teardown(): Promise<void> {
    this.tearingDown ??= (async () => {
      this.disconnected = true;
      this.queue = [];
      if (this.heldRelease !== null) clearTimeout(this.heldRelease);
      this.heldRelease = null;
      this.suspended?.resume();
      // A write still pacing out to the board is abandoned, as closing a tty flushes it.
      await this.writer?.abort().catch(() => undefined);
      await this.runner;
      if (this.baud !== null || this.reader !== null) {
        await this.closePort().catch((error: unknown) => this.options.onError?.(error));
      }
      this.finish();
    })();
    return this.tearingDown;
  }
}
