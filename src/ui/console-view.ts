// The Console (Konsol) view: the board's friendly REPL in xterm, with the buttons a person needs
// (stop, soft reset, restart, paste, clear, copy/save the log) and a baud choice.
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import { openTerminal, type TerminalLink } from '../device/terminal-link.ts';
import { PortError } from '../device/port.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles } from './view-styles.ts';
import { connectedPort, onPortChange, pickPort } from './board-link.ts';
import { installSession } from './install-session.ts';
import { BootNoiseFilter } from './boot-noise.ts';
import { formatNumber } from './format.ts';
import { hasWebSerial } from './support.ts';
import './serial-support.ts';

const BAUDS = [115200, 74880, 57600, 9600, 230400, 460800];
/** How long a pasted line waits for the board's echo before the next goes anyway. */
const PASTE_LINE_WAIT_MS = 2000;

/** xterm hands a paste (button or keyboard) over as one string, with line ends as "\r". */
function isPaste(data: string): boolean {
  return data.length > 1 && data.indexOf('\r') >= 0 && data.indexOf('\r') < data.length - 1;
}
/** Enough for a long boot log; older text is dropped so a chatty board can't eat the memory. */
const LOG_LIMIT = 512 * 1024;

/** The text shown so far, kept when the person goes to another view and comes back. */
let keptLog = '';

/** USB serial adapters by vendor id (port.ts's filters), for naming what the console is on. */
const ADAPTERS: Record<number, string> = { 0x10c4: 'CP210x', 0x1a86: 'CH340/CH9102', 0x0403: 'FTDI', 0x303a: 'Espressif USB' };

@customElement('nyala-console-view')
export class ConsoleView extends LitElement {
  private readonly locale = new LocaleController(this);
  @state() private baud = 115200;
  @state() private open = false;
  @state() private message = '';
  @query('.term') private termHost?: HTMLElement;
  private term?: Terminal;
  private fit?: FitAddon;
  private link?: TerminalLink;
  private log = keptLog;
  private readonly decoder = new TextDecoder();
  private readonly noise = new BootNoiseFilter();
  private readonly onResize = () => this.fit?.fit();
  private offPort?: () => void;

  override connectedCallback(): void {
    super.connectedCallback();
    this.offPort = onPortChange(() => this.requestUpdate());
  }

  override firstUpdated(): void {
    // Back from another view: the scrollback is shown again before the port is reopened.
    if (keptLog && this.termHost) this.ensureTerminal().write(keptLog);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    keptLog = this.log;
    this.offPort?.();
    window.removeEventListener('resize', this.onResize);
    void this.stop();
    this.term?.dispose();
    this.term = undefined;
  }

  private ensureTerminal(): Terminal {
    if (this.term) return this.term;
    const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000, screenReaderMode: true });
    this.fit = new FitAddon();
    term.loadAddon(this.fit);
    term.open(this.termHost!);
    this.fit.fit();
    window.addEventListener('resize', this.onResize);
    term.onData((data) => void (isPaste(data) ? this.pastePaced(data) : this.link?.write(data)));
    this.term = term;
    return term;
  }

  private async start(): Promise<void> {
    this.message = '';
    try {
      const port = connectedPort() ?? (await pickPort(false));
      const term = this.ensureTerminal();
      this.link = await openTerminal(port.take('console'), this.baud, (bytes) => {
        // The ESP8266 ROM's 74880-baud lines are noise at 115200: one note instead of them.
        const text = this.noise.push(this.decoder.decode(bytes, { stream: true }), `\x1b[2m${t().console.bootNoise}\x1b[0m\r\n`);
        term.write(text);
        this.countLines(bytes);
        this.log = (this.log + text).slice(-LOG_LIMIT);
      });
      this.open = true;
      term.focus();
      void this.link.ended.then((end) => {
        if (end.reason === 'unplugged') this.message = t().console.ended;
        this.open = false;
        this.link = undefined;
      });
    } catch (err) {
      this.message = err instanceof PortError ? `${t().console.openFailed} (${err.code})` : t().console.openFailed;
    }
  }

  private async stop(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.open = false;
    await link?.close();
  }

  private async changeBaud(baud: number): Promise<void> {
    this.baud = baud;
    if (this.open) {
      await this.stop();
      await this.start();
    }
  }

  /**
   * A paste of several lines, one line at a time: each waits until the board has echoed the one
   * before (its line end came back), or 2 s. A board takes what it is sent into a receive buffer of
   * a few hundred bytes (ESP8266 255, ESP32 259) and loses the rest while a line runs; sent whole,
   * a long paste arrives while the first lines run and comes out with holes.
   */
  private async pastePaced(text: string): Promise<void> {
    const link = this.link;
    if (!link) return;
    for (const line of text.match(/[^\r]*\r|[^\r]+$/g) ?? []) {
      if (this.link !== link) return;
      const seen = this.lineEnds;
      await link.write(line);
      if (line.endsWith('\r')) await this.lineEndAfter(seen, PASTE_LINE_WAIT_MS);
    }
  }

  private lineEnds = 0;
  private lineWaiters: (() => void)[] = [];

  private countLines(bytes: Uint8Array): void {
    let n = 0;
    for (const b of bytes) if (b === 0x0a) n++;
    if (n === 0) return;
    this.lineEnds += n;
    for (const w of this.lineWaiters.splice(0)) w();
  }

  /** Resolves once a line end has come back since `seen`, or after `ms`. */
  private lineEndAfter(seen: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const check = (): void => {
        if (this.lineEnds > seen) done();
        else this.lineWaiters.push(check);
      };
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      check();
    });
  }

  private async paste(): Promise<void> {
    const text = await navigator.clipboard.readText().catch(() => '');
    if (text) this.term?.paste(text);
  }

  private clear(): void {
    this.term?.clear();
    this.log = '';
    keptLog = '';
  }

  private interrupt(): void {
    void this.link?.write('\x03');
    this.message = t().console.stopped;
  }

  /** The board this console is on: the chip the installer read, else the USB adapter. */
  private boardName(): string {
    const s = t().console;
    const port = connectedPort();
    if (!port) return s.noBoard;
    const board = installSession.board;
    const info = port.info;
    const adapter = info.usbVendorId === undefined ? '' : (ADAPTERS[info.usbVendorId] ?? s.usbAdapter);
    const chip = board ? `${board.description} · ${board.mac}` : '';
    return s.attachedTo([chip, adapter].filter(Boolean).join(', ') || s.usbAdapter);
  }

  private async copyLog(): Promise<void> {
    await navigator.clipboard.writeText(this.log).catch(() => undefined);
    this.message = t().console.copied;
  }

  private saveLog(): void {
    const url = URL.createObjectURL(new Blob([this.log], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `nyala-console-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  override render() {
    const s = t().console;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
      <nyala-serial-support></nyala-serial-support>
      ${hasWebSerial()
        ? html`<div class="bar" role="toolbar" aria-label=${s.title}>
            <label>${s.baud}
              <select .value=${String(this.baud)} @change=${(e: Event) => void this.changeBaud(Number((e.target as HTMLSelectElement).value))}>
                ${BAUDS.map((b) => html`<option value=${b} ?selected=${b === this.baud}>${formatNumber(b)}</option>`)}
              </select>
            </label>
            ${this.open
              ? html`<button aria-describedby="stop-warning" @click=${() => this.interrupt()}>${s.interrupt}</button>
                  <button @click=${() => void this.link?.write('\x04')}>${s.softReset}</button>
                  <button @click=${() => void this.link?.hardReset()}>${s.hardReset}</button>
                  <button @click=${() => void this.paste()}>${s.paste}</button>
                  <button @click=${() => void this.stop()}>${s.close}</button>`
              : html`<button class="primary" @click=${() => void this.start()}>${s.open}</button>`}
            <button @click=${() => this.clear()}>${s.clear}</button>
            <button @click=${() => void this.copyLog()}>${s.copyLog}</button>
            <button @click=${() => this.saveLog()}>${s.saveLog}</button>
          </div>
          <p class="hint">${s.baudHint}</p>
          <p class="board" data-testid="console-board">${this.boardName()}</p>
          ${this.open ? html`<p class="hint warn" id="stop-warning">${s.stopWarning}</p>` : nothing}
          ${this.message ? html`<p role="status">${this.message}</p>` : nothing}
          <div class="term" role="region" aria-label=${s.terminalLabel}></div>`
        : nothing}
    `;
  }

  static override styles = [
    viewStyles,
    unsafeCSS(xtermCss),
    css`
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      .bar button {
        min-height: 44px;
        padding: 0.25rem 0.75rem;
      }
      .hint {
        color: var(--muted, GrayText);
        font-size: 0.9em;
      }
      .board {
        font-weight: 600;
        margin: 0.25rem 0;
      }
      .warn {
        border-left: 4px solid var(--accent, #fca311);
        padding-left: 0.5rem;
      }
      .term {
        height: 60vh;
        min-height: 18rem;
        background: #000;
        padding: 0.25rem;
        border-radius: 0.5rem;
      }
    `,
  ];
}
