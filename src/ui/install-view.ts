// The Install (Pasang) view: connect → the board's chip, MAC and flash size → firmware → confirm
// → flash with progress → done. It asks src/device/flasher.ts to do the work and renders the
// events it gets back; every failure becomes a sentence and what to do next.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { FlashError, FlashSession, type DetectedBoard, type FlashEvent } from '../device/flasher.ts';
import { fetchCatalogImage, imagesFor, loadCatalog, FirmwareError, type CatalogImage } from '../device/firmware.ts';
import { BOOT_OFFSET, type ImageProblem } from '../device/image.ts';
import { MICROPYTHON_VERSION } from '../device/firmware-catalog.ts';
import { PortError } from '../device/port.ts';
import { detectMicroPython, scanWifi, type MicroPythonInfo } from '../device/provision.ts';
import { defaultSettings, type Chip, type LampSettings } from '../lamp/settings.ts';
import { session as lamps } from './remote-session.ts';
import { demoSettings } from './demo-hooks.ts';
import './lamp-settings-form.ts';
import './upload-panel.ts';
import type { UploadPanel } from './upload-panel.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles, visuallyHidden } from './view-styles.ts';
import { canReachBoards, connectedPort, pickPort } from './board-link.ts';
import { hasWebSerial, hasWebUsb } from './support.ts';
import { setBusy } from './pwa.ts';
import './serial-support.ts';
import './progress-bar.ts';
import './bootloader-help.ts';

type Choice = { kind: 'bundled'; image: CatalogImage } | { kind: 'file'; name: string; bytes: Uint8Array };

type Phase =
  | { name: 'idle' }
  | { name: 'connecting' }
  | { name: 'ready' }
  | { name: 'confirm' }
  | { name: 'working'; event: FlashEvent }
  | { name: 'done'; seconds: number; backup?: string }
  | { name: 'found'; info: MicroPythonInfo }
  | { name: 'settings' }
  | { name: 'upload' }
  | { name: 'error'; code: string; detail: string; problem?: ImageProblem };

@customElement('nyala-install-view')
export class InstallView extends LitElement {
  private readonly locale = new LocaleController(this);
  @state() private phase: Phase = { name: 'idle' };
  @state() private board?: DetectedBoard;
  @state() private catalog: CatalogImage[] = [];
  @state() private choice?: Choice;
  @state() private eraseAll = true;
  @state() private backup = false;
  @state() private showAll = false;
  /** advanced: a baud the person pins instead of the fastest the link holds (0 = automatic) */
  @state() private pinnedBaud = 0;
  /** the lamp being set up: what the upload writes and the remote then uses */
  @state() private lamp?: LampSettings;
  @state() private networks: string[] = [];
  @state() private scanning = false;
  private chip?: Chip;
  /** 'usb': the person chose WebUSB although Web Serial is there (it does not see their adapter) */
  private via?: 'usb';
  private session?: FlashSession;
  private abort?: AbortController;
  private log: string[] = [];

  override connectedCallback(): void {
    super.connectedCallback();
    void loadCatalog(new URL(import.meta.env.BASE_URL, location.href).href).then((c) => (this.catalog = c));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
    void this.session?.close({ reset: false });
  }

  /** Connect: if MicroPython already answers, offer "just upload"; otherwise the bootloader. */
  private async connect(via?: 'usb'): Promise<void> {
    this.log = [];
    this.via = via;
    this.phase = { name: 'connecting' };
    try {
      const port = this.showAll || via || !connectedPort() ? await pickPort(this.showAll, via) : connectedPort()!;
      const lease = port.take('repl');
      let info: MicroPythonInfo | null = null;
      try {
        info = await detectMicroPython(lease.port, { timeoutMs: 3000 }).catch(() => null);
      } finally {
        await lease.release();
      }
      if (info) {
        this.chip = info.platform === 'esp32' ? 'esp32' : 'esp8266';
        this.phase = { name: 'found', info };
        return;
      }
      await this.connectBootloader();
    } catch (err) {
      this.fail(err);
    }
  }

  private async connectBootloader(): Promise<void> {
    this.phase = { name: 'connecting' };
    try {
      const port = connectedPort() ?? (await pickPort(this.showAll, this.via));
      const lease = port.take('flasher');
      this.abort = new AbortController();
      try {
        this.session = await FlashSession.connect(lease.port, {
          signal: this.abort.signal,
          onLog: (l) => this.log.push(l),
          ...(this.pinnedBaud ? { baud: this.pinnedBaud } : {}),
        });
      } catch (err) {
        await lease.release();
        throw err;
      }
      this.releaseLease = lease.release;
      this.board = this.session.board;
      this.chip = this.board.chip === 'esp32' ? 'esp32' : 'esp8266';
      const bundled = imagesFor(this.catalog, this.board.chip, this.board.flashSize)[0];
      this.choice = bundled ? { kind: 'bundled', image: bundled } : undefined;
      this.phase = { name: 'ready' };
    } catch (err) {
      this.fail(err);
    }
  }

  private releaseLease?: () => Promise<void>;

  private async endSession(reset: boolean): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.close({ reset });
    await this.releaseLease?.();
    this.releaseLease = undefined;
  }

  private fail(err: unknown): void {
    setBusy(false);
    if (err instanceof FlashError) this.phase = { name: 'error', code: err.code, detail: err.detail, ...(err.problem ? { problem: err.problem } : {}) };
    else if (err instanceof PortError) this.phase = { name: 'error', code: err.code, detail: err.detail };
    else if (err instanceof FirmwareError) this.phase = { name: 'error', code: err.code, detail: err.detail };
    else this.phase = { name: 'error', code: String((err as Error)?.message) === 'unsupported' ? 'unsupported' : 'failed', detail: String((err as Error)?.message ?? err) };
    void this.endSession(false);
  }

  private async onFile(file: File | undefined): Promise<void> {
    if (!file) return;
    this.choice = { kind: 'file', name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  }

  private async imageBytes(): Promise<Uint8Array> {
    const c = this.choice;
    if (!c) throw new FlashError('image', 'empty', { code: 'empty' });
    if (c.kind === 'file') return c.bytes;
    return fetchCatalogImage(new URL(import.meta.env.BASE_URL, location.href).href, c.image);
  }

  private askConfirm(): void {
    // Refuse a file that cannot go on this board before asking anything, let alone erasing.
    if (this.choice?.kind === 'file' && this.session) {
      const problem = this.session.check(this.choice.bytes);
      if (problem) {
        this.phase = { name: 'error', code: problem.code, detail: '', problem };
        void this.endSession(false);
        return;
      }
    }
    this.phase = { name: 'confirm' };
  }

  private async flash(): Promise<void> {
    const session = this.session;
    if (!session) return;
    setBusy(true);
    try {
      this.phase = { name: 'working', event: { state: 'connecting' } };
      const image = await this.imageBytes();
      const problem = session.check(image);
      if (problem) throw new FlashError('image', problem.code, problem);
      this.abort = new AbortController();
      const onEvent = (event: FlashEvent) => (this.phase = { name: 'working', event });
      session.listen(onEvent, this.abort.signal);
      let backupName: string | undefined;
      if (this.backup) {
        const data = await session.backup();
        backupName = `nyala-backup-${session.board.chip}-${session.board.mac.replace(/:/g, '')}.bin`;
        saveFile(data, backupName);
      }
      const started = performance.now();
      await session.write(image, { eraseAll: this.eraseAll, offset: BOOT_OFFSET[session.board.chip] });
      await this.endSession(true);
      setBusy(false);
      this.phase = { name: 'done', seconds: (performance.now() - started) / 1000, ...(backupName ? { backup: backupName } : {}) };
    } catch (err) {
      this.fail(err);
    }
  }

  /** The settings step: a new lamp for this chip (the demo fills in its Wi-Fi and local broker). */
  private toSettings(): void {
    const chip = this.chip ?? 'esp8266';
    this.lamp ??= demoSettings(defaultSettings({ chip }));
    this.lamp = { ...this.lamp, chip, lamp: this.lamp.chip === chip ? this.lamp.lamp : defaultSettings({ chip }).lamp };
    this.phase = { name: 'settings' };
  }

  private async scan(): Promise<void> {
    const port = connectedPort();
    if (!port || this.scanning) return;
    this.scanning = true;
    const lease = port.take('repl');
    try {
      this.networks = (await scanWifi(lease.port)).map((n) => n.ssid);
    } catch {
      this.networks = [];
    } finally {
      this.scanning = false;
      await lease.release();
    }
  }

  private async startUpload(e: CustomEvent<LampSettings>): Promise<void> {
    this.lamp = e.detail;
    this.phase = { name: 'upload' };
    await this.updateComplete;
    await this.renderRoot.querySelector<UploadPanel>('nyala-upload-panel')?.start();
  }

  private async lampOnline(): Promise<void> {
    // The remote now has this lamp (secrets kept only as the person chose).
    if (this.lamp) await lamps.put(this.lamp);
  }

  override render() {
    const s = t().install;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
      <nyala-serial-support></nyala-serial-support>
      ${canReachBoards() ? this.renderPhase() : nothing}
    `;
  }

  private renderPhase() {
    const f = t().flash;
    const p = this.phase;
    switch (p.name) {
      case 'idle':
        return html`<section aria-labelledby="connect-h">
          <h2 id="connect-h">1. ${t().install.stepConnect}</h2>
          <p>${f.connectHint}</p>
          <button class="primary" @click=${() => void this.connect()}>${f.connect}</button>
          ${this.renderReach()}
          <label class="check"><input type="checkbox" .checked=${this.showAll} @change=${(e: Event) => (this.showAll = (e.target as HTMLInputElement).checked)} /> ${f.showAllPorts}</label>
          <details>
            <summary>${f.advanced}</summary>
            <label>${f.pinBaud}
              <select @change=${(e: Event) => (this.pinnedBaud = Number((e.target as HTMLSelectElement).value))}>
                <option value="0" ?selected=${this.pinnedBaud === 0}>${f.baudAuto}</option>
                ${[921600, 460800, 230400, 115200].map((b) => html`<option value=${b} ?selected=${this.pinnedBaud === b}>${b}</option>`)}
              </select>
            </label>
            <p class="muted">${f.pinBaudWhy}</p>
          </details>
        </section>`;
      case 'connecting':
        return html`<p role="status" aria-live="polite">${f.connecting}</p>
          <button @click=${() => this.abort?.abort()}>${f.cancel}</button>`;
      case 'ready':
      case 'confirm':
        return html`${this.renderBoard()} ${this.renderFirmware()} ${p.name === 'confirm' ? this.renderConfirm() : nothing}`;
      case 'working':
        return html`${this.renderBoard()} ${this.renderWork(p.event)}`;
      case 'done':
        return html`<section role="status" aria-live="polite">
          <h2>${f.doneTitle}</h2>
          <p>${f.doneBody(p.seconds.toFixed(1))}</p>
          ${p.backup ? html`<p>${f.backupSaved(p.backup)}</p>` : nothing}
          <button class="primary" @click=${() => this.toSettings()}>${f.nextUpload}</button>
        </section>`;
      case 'error':
        return this.renderError(p);
      case 'found': {
        const u = t().upload;
        return html`<section aria-labelledby="found-h" data-testid="micropython-found">
          <h2 id="found-h">${u.alreadyTitle}</h2>
          <p>${u.alreadyBody(p.info.release, p.info.machine)}</p>
          ${p.info.hasLampProgram ? html`<p>${u.alreadyHasLamp}</p>` : nothing}
          <button class="primary" @click=${() => this.toSettings()}>${u.justUpload}</button>
          <button @click=${() => void this.connectBootloader()}>${u.flashAnyway}</button>
        </section>`;
      }
      case 'settings': {
        const u = t().upload;
        return html`<section aria-labelledby="settings-h">
          <h2 id="settings-h">3. ${t().install.stepSettings}</h2>
          <p>${u.intro}</p>
          <nyala-lamp-settings-form
            purpose="board"
            .settings=${this.lamp}
            .networks=${this.networks}
            ?scanning=${this.scanning}
            submitLabel=${u.upload}
            @scan=${() => void this.scan()}
            @save=${(e: CustomEvent<LampSettings>) => void this.startUpload(e)}
            @cancel=${() => (this.phase = { name: 'idle' })}
          ></nyala-lamp-settings-form>
        </section>`;
      }
      case 'upload':
        return html`<section aria-labelledby="upload-h">
          <h2 id="upload-h">4. ${t().install.stepUpload}</h2>
          <nyala-upload-panel .settings=${this.lamp} @online=${() => void this.lampOnline()}></nyala-upload-panel>
          <button @click=${() => (this.phase = { name: 'settings' })}>${t().flash.cancel}</button>
        </section>`;
    }
  }

  /**
   * By feature: with Web Serial, what the browser will ask; with WebUSB too (Chrome on Android has
   * both, and its Web Serial does not see every adapter), the WebUSB way as well.
   */
  private renderReach() {
    const i = t().install;
    if (!hasWebSerial()) return nothing;
    return html`<p class="muted" data-testid="serial-ask">${i.serialAsk}</p>
      ${hasWebUsb()
        ? html`<div data-testid="usb-fallback">
            <p class="muted">${i.usbFallbackWhy}</p>
            <button @click=${() => void this.connect('usb')}>${i.usbFallback}</button>
          </div>`
        : nothing}`;
  }

  private renderBoard() {
    const f = t().flash;
    const b = this.board;
    if (!b) return nothing;
    return html`<section aria-labelledby="board-h">
      <h2 id="board-h">${f.connected}</h2>
      <dl class="board" data-testid="board-info">
        <dt>${f.chip}</dt><dd data-testid="chip">${b.description}</dd>
        <dt>${f.mac}</dt><dd data-testid="mac">${b.mac}</dd>
        <dt>${f.flashSize}</dt><dd data-testid="flash-size">${b.flashSizeName}</dd>
        <dt>${f.baud}</dt><dd>${b.baud.toLocaleString()} baud</dd>
      </dl>
    </section>`;
  }

  private renderFirmware() {
    const f = t().flash;
    const b = this.board!;
    const options = imagesFor(this.catalog, b.chip, b.flashSize);
    const c = this.choice;
    return html`<section aria-labelledby="fw-h" @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${this.onDrop}>
      <h2 id="fw-h">2. ${f.firmware}</h2>
      ${options.length === 0 ? html`<p class="callout">${f.noBundled}</p>` : nothing}
      <fieldset>
        <legend class="visually-hidden">${f.firmware}</legend>
        ${options.map(
          (img) => html`<label class="radio"><input type="radio" name="fw" .checked=${c?.kind === 'bundled' && c.image.id === img.id}
              @change=${() => (this.choice = { kind: 'bundled', image: img })} /> ${f.bundled(MICROPYTHON_VERSION, img.file)}</label>`,
        )}
        <label class="radio">
          <input type="radio" name="fw" .checked=${c?.kind === 'file'} @change=${() => this.renderRoot.querySelector<HTMLInputElement>('#fw-file')?.click()} />
          ${f.ownFile}${c?.kind === 'file' ? html`: <strong>${f.imageFile(c.name, c.bytes.length)}</strong>` : nothing}
        </label>
        <input id="fw-file" type="file" accept=".bin,application/octet-stream" aria-label=${f.chooseFile}
          @change=${(e: Event) => void this.onFile((e.target as HTMLInputElement).files?.[0])} />
        <p class="muted">${f.dropHere}</p>
      </fieldset>
      <label class="check"><input type="checkbox" .checked=${this.eraseAll} @change=${(e: Event) => (this.eraseAll = (e.target as HTMLInputElement).checked)} /> ${f.eraseAll}</label>
      <p class="muted">${f.eraseAllWhy}</p>
      <label class="check"><input type="checkbox" .checked=${this.backup} @change=${(e: Event) => (this.backup = (e.target as HTMLInputElement).checked)} /> ${f.backup}</label>
      <p class="muted">${f.backupWhy}</p>
      <button class="primary" ?disabled=${!c || this.phase.name === 'confirm'} @click=${() => this.askConfirm()}>${f.flash}</button>
    </section>`;
  }

  private readonly onDrop = (e: DragEvent) => {
    e.preventDefault();
    void this.onFile(e.dataTransfer?.files?.[0]);
  };

  private renderConfirm() {
    const f = t().flash;
    const b = this.board!;
    const size = this.choice?.kind === 'file' ? this.choice.bytes.length : this.choice?.kind === 'bundled' ? this.choice.image.size : 0;
    return html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-h" aria-describedby="confirm-d">
      <h2 id="confirm-h">${f.confirmTitle}</h2>
      <p id="confirm-d">${this.eraseAll ? f.confirmEraseAll(b.flashSize) : f.confirmPartial(BOOT_OFFSET[b.chip] + size)}</p>
      <button class="primary" @click=${() => void this.flash()}>${f.confirmYes}</button>
      <button @click=${() => (this.phase = { name: 'ready' })}>${f.cancel}</button>
    </div>`;
  }

  private renderWork(e: FlashEvent) {
    const f = t().flash;
    const label =
      e.state === 'reading' ? f.stateReading
      : e.state === 'erasing' ? f.stateErasing
      : e.state === 'writing' ? f.stateWriting
      : e.state === 'verifying' ? f.stateVerifying
      : e.state === 'done' ? f.stateDone
      : f.stateConnecting;
    const progress = e.state === 'writing' || e.state === 'reading' ? e.progress : undefined;
    return html`<section aria-labelledby="work-h">
      <h2 id="work-h" role="status" aria-live="polite" data-testid="flash-state">${label}</h2>
      ${progress ? html`<nyala-progress .progress=${progress} label=${label}></nyala-progress>` : html`<div class="spinner" aria-hidden="true"></div>`}
      <button @click=${() => this.abort?.abort()}>${f.cancel}</button>
    </section>`;
  }

  private renderError(p: Extract<Phase, { name: 'error' }>) {
    const f = t().flash;
    const errors = t().flashErrors as Record<string, string | ((...a: string[]) => string)>;
    const problem = p.problem;
    const key = problem ? problem.code : p.code;
    const msg = errors[key] ?? errors.failed!;
    const text = typeof msg === 'function' ? (problem?.code === 'wrong-chip' ? msg(problem.imageChip, problem.boardChip) : msg('', '')) : msg;
    const nativeUsb = connectedPort()?.isNativeUsb ?? false;
    return html`<section class="error" role="alert" data-testid="flash-error" data-code=${key}>
      <p>${text}</p>
      ${p.code === 'no-bootloader' ? html`<nyala-bootloader-help></nyala-bootloader-help>` : nothing}
      ${nativeUsb && (p.code === 'unplugged' || p.code === 'no-bootloader')
        ? html`<h2>${f.nativeUsbTitle}</h2><p>${f.nativeUsbBody}</p>`
        : nothing}
      ${p.detail ? html`<details><summary>Details</summary><pre>${p.detail}\n${this.log.slice(-20).join('\n')}</pre></details>` : nothing}
      <button class="primary" @click=${() => void this.connect()}>${f.tryAgain}</button>
    </section>`;
  }

  static override styles = [
    viewStyles,
    visuallyHidden,
    css`
      dl.board {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 1rem;
      }
      dd {
        margin: 0;
        font-family: ui-monospace, monospace;
      }
      fieldset {
        border: 1px solid var(--line, #ccc);
        border-radius: 0.5rem;
        margin: 0.5rem 0 1rem;
      }
      label.radio,
      label.check {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 44px;
      }
      .muted {
        color: var(--muted, GrayText);
        margin-top: 0;
      }
      .confirm,
      .error {
        border: 2px solid var(--accent, #fca311);
        border-radius: 0.5rem;
        padding: 0.5rem 1rem 1rem;
        margin: 1rem 0;
      }
      pre {
        white-space: pre-wrap;
        font-size: 0.8em;
      }
    `,
  ];
}

/** Hand a file to the person (the backup): a download, since there is no file system here. */
function saveFile(data: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
