// The Install (Pasang) view: renders the install journey's state (install-session.ts runs
// src/device/install-routine.ts) and forwards what the person chooses. It holds no journey logic:
// leaving the view does not stop anything, and coming back shows where the journey is.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { DetectedBoard } from '../device/flasher.ts';
import { imagesFor, loadCatalog, type CatalogImage } from '../device/firmware.ts';
import { BOOT_OFFSET } from '../device/image.ts';
import { MICROPYTHON_VERSION } from '../device/firmware-catalog.ts';
import type { InstallState } from '../device/install-routine.ts';
import type { LampSettings } from '../lamp/settings.ts';
import type { LampSettingsForm } from './lamp-settings-form.ts';
import type { UploadPanel } from './upload-panel.ts';
import { formatDuration, formatNumber } from './format.ts';
import { installSession as journey, type ImageChoice } from './install-session.ts';
import './lamp-settings-form.ts';
import './upload-panel.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles, visuallyHidden } from './view-styles.ts';
import { canReachBoards } from './board-link.ts';
import { hasWebSerial, hasWebUsb } from './support.ts';
import { errorText } from './install-text.ts';
import './serial-support.ts';
import './progress-bar.ts';
import './bootloader-help.ts';

/** A whole-chip erase: ~10 s on a 4 MB flash (issue 17), so ~2.5 s per MB. */
const ERASE_SECONDS_PER_MB = 2.5;

@customElement('nyala-install-view')
export class InstallView extends LitElement {
  private readonly locale = new LocaleController(this);
  @state() private catalog: CatalogImage[] = [];
  @state() private catalogFailed = false;
  @state() private choice?: ImageChoice;
  @state() private eraseAll = true;
  @state() private backup = false;
  @state() private showAll = false;
  /** advanced: a baud the person pins instead of the fastest the link holds (0 = automatic) */
  @state() private pinnedBaud = 0;
  private off?: () => void;
  /** the settings state whose form the person opened ("Next" after the flash) */
  @state() private formFor?: InstallState;
  /** a file is dragged over the drop zone */
  @state() private dragging = false;
  /** the state last rendered: new content (a question, an error) is brought into view once */
  private shown?: object;
  private tick?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    this.off = journey.subscribe(() => this.requestUpdate());
    loadCatalog(new URL(import.meta.env.BASE_URL, location.href).href).then(
      (c) => (this.catalog = c),
      () => (this.catalogFailed = true),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // The journey goes on without this view.
    this.off?.();
    clearInterval(this.tick);
    this.tick = undefined;
  }

  /**
   * New content is brought into view and focused, once per state: the flash confirmation, an
   * error, the form coming back with the field the board refused. Erasing has no progress to
   * report, so its elapsed time ticks each second.
   */
  override updated(): void {
    const st = journey.state;
    const erasing = st.state === 'erasing';
    if (erasing && !this.tick) this.tick = setInterval(() => this.requestUpdate(), 1000);
    if (!erasing && this.tick) {
      clearInterval(this.tick);
      this.tick = undefined;
    }
    if (st === this.shown) return;
    this.shown = st;
    const bring = (el: HTMLElement | null | undefined) => {
      if (!el) return;
      el.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
      el.focus({ preventScroll: true });
    };
    if (st.state === 'confirming') bring(this.renderRoot.querySelector<HTMLElement>('.confirm'));
    else if (st.state === 'failed' && st.during !== 'upload' && st.during !== 'boot') bring(this.renderRoot.querySelector<HTMLElement>('.error'));
    else if (st.state === 'cancelled') bring(this.renderRoot.querySelector<HTMLElement>('[data-testid="journey-cancelled"]'));
    else if (st.state === 'boot-failed' && journey.refused) {
      const form = this.renderRoot.querySelector<LampSettingsForm>('nyala-lamp-settings-form');
      void form?.updateComplete.then(() => form.showIssues(journey.refusedIssues()));
    } else if (st.state === 'failed' || st.state === 'boot-failed') {
      const panel = this.renderRoot.querySelector<UploadPanel>('nyala-upload-panel');
      void panel?.updateComplete.then(() => bring(panel.renderRoot.querySelector<HTMLElement>('.error')));
    }
  }

  private save(e: CustomEvent<LampSettings>): void {
    const issues = journey.saveSettings(e.detail);
    if (issues.length > 0) void (e.target as LampSettingsForm).showIssues(issues);
  }

  private connect(via?: 'usb'): void {
    journey.start({ showAll: this.showAll, ...(via ? { via } : {}), ...(this.pinnedBaud ? { baud: this.pinnedBaud } : {}) });
  }

  private async onFile(file: File | undefined): Promise<void> {
    if (!file) return;
    this.choice = { kind: 'file', name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  }

  /** What the person picked, or the best built-in image for this board until they pick. */
  private choiceFor(b: DetectedBoard): ImageChoice | undefined {
    if (this.choice?.kind === 'file' || (this.choice?.kind === 'bundled' && this.choice.image.chip === b.chip)) return this.choice;
    const best = imagesFor(this.catalog, b.chip, b.flashSize)[0];
    return best ? { kind: 'bundled', image: best } : undefined;
  }

  private flash(b: DetectedBoard): void {
    const choice = this.choiceFor(b);
    if (choice) journey.chooseFirmware(choice, this.eraseAll, this.backup);
  }

  override render() {
    const s = t().install;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
      <nyala-serial-support></nyala-serial-support>
      ${canReachBoards() ? this.renderState(journey.state) : nothing}
    `;
  }

  private renderState(st: InstallState | { state: 'idle' }) {
    const f = t().flash;
    const i = t().install;
    switch (st.state) {
      case 'idle':
        return this.renderConnect();
      case 'choosing-port':
      case 'detecting':
        return html`<p role="status" aria-live="polite" data-testid="journey-state">${i.detecting}</p>
          ${this.renderCancel()}`;
      case 'connecting':
        return html`<p role="status" aria-live="polite" data-testid="journey-state">${f.connecting}</p>
          ${st.noMicroPython ? html`<p class="muted">${i.noMicroPython(st.noMicroPython.code)}</p>` : nothing}
          ${this.renderCancel()}`;
      case 'micropython':
        return this.renderFound(st.info);
      case 'choosing-firmware':
      case 'checking-image':
      case 'confirming':
        return html`${this.renderBoard(st.board)} ${this.renderFirmware(st.board, st.state !== 'choosing-firmware')}
        ${st.state === 'checking-image' ? html`<p role="status" aria-live="polite">${i.checkingImage}</p>` : nothing}
        ${st.state === 'confirming' ? this.renderConfirm(st.board, st.eraseAll, st.end) : this.renderCancel()}`;
      case 'backing-up':
      case 'erasing':
      case 'writing':
      case 'verifying':
      case 'resetting':
        return html`${this.renderBoard(st.board)} ${this.renderWork(st)}`;
      case 'waiting-for-port':
        return html`<p role="status" aria-live="polite" data-testid="journey-state">${i.waitingForPort}</p>${this.renderCancel()}`;
      case 'choose-port-again':
        return html`<section aria-labelledby="again-h" data-testid="choose-port-again">
          <h2 id="again-h">${i.choosePortAgainTitle}</h2>
          <p>${i.choosePortAgainBody}</p>
          <button class="primary" @click=${() => journey.pickPortAgain()}>${i.choosePortAgain}</button>
          ${this.renderCancel()}
        </section>`;
      case 'settings':
        return this.renderSettings(st);
      case 'boot-failed':
        if (journey.refused) return this.renderFix(st);
        return this.renderUpload(st);
      case 'uploading':
      case 'booting':
      case 'online':
        return this.renderUpload(st);
      case 'failed':
        if (st.during === 'upload' || st.during === 'boot') return this.renderUpload(st);
        return this.renderError(st);
      case 'cancelled': {
        const u = t().upload;
        const upload = st.during === 'upload' || st.during === 'boot';
        // What state the board is in now, in so many words.
        const text =
          st.during === 'flash' ? t().flashErrors.cancelled
          : st.during === 'boot' ? u.cancelledBoot
          : st.during === 'upload' ? (journey.cancelledAt === 'renaming' ? u.cancelledRenaming : u.cancelledUpload)
          : st.during === 'settings' ? i.cancelledSettings
          : i.cancelledNothing;
        return html`<section role="status" tabindex="-1" data-testid="journey-cancelled">
          <p>${text}</p>
          ${upload
            ? html`<button class="primary" @click=${() => journey.uploadAgain()}>${u.upload}</button>`
            : html`<button class="primary" @click=${() => this.connect()}>${f.connect}</button>`}
        </section>`;
      }
    }
  }

  private renderCancel() {
    return html`<button @click=${() => journey.cancel()}>${t().flash.cancel}</button>`;
  }

  private renderConnect() {
    const f = t().flash;
    return html`<section aria-labelledby="connect-h">
      <h2 id="connect-h">1. ${t().install.stepConnect}</h2>
      <p>${f.connectHint}</p>
      <button class="primary" @click=${() => this.connect()}>${f.connect}</button>
      ${this.renderReach()}
      <label class="check"><input type="checkbox" .checked=${this.showAll} @change=${(e: Event) => (this.showAll = (e.target as HTMLInputElement).checked)} /> ${f.showAllPorts}</label>
      <details>
        <summary>${f.advanced}</summary>
        <label>${f.pinBaud}
          <select @change=${(e: Event) => (this.pinnedBaud = Number((e.target as HTMLSelectElement).value))}>
            <option value="0" ?selected=${this.pinnedBaud === 0}>${f.baudAuto}</option>
            ${[921600, 460800, 230400, 115200].map((b) => html`<option value=${b} ?selected=${this.pinnedBaud === b}>${formatNumber(b)}</option>`)}
          </select>
        </label>
        <p class="muted">${f.pinBaudWhy}</p>
      </details>
    </section>`;
  }

  private renderFound(info: { release: string; machine: string; hasLampProgram: boolean }) {
    const u = t().upload;
    return html`<section aria-labelledby="found-h" data-testid="micropython-found">
      <h2 id="found-h">${u.alreadyTitle}</h2>
      <p>${u.alreadyBody(info.release, info.machine)}</p>
      ${info.hasLampProgram ? html`<p>${u.alreadyHasLamp}</p>` : nothing}
      <button class="primary" @click=${() => journey.answerMicroPython('upload')}>${u.justUpload}</button>
      <button @click=${() => journey.answerMicroPython('flash')}>${u.flashAnyway}</button>
      ${this.renderCancel()}
    </section>`;
  }

  private renderSettings(st: Extract<InstallState, { state: 'settings' }>) {
    const f = t().flash;
    const u = t().upload;
    const i = t().install;
    if (st.flashed && this.formFor !== st) {
      return html`<section role="status" aria-live="polite">
          <h2>${f.doneTitle}</h2>
          <p>${f.doneBody(formatDuration(st.flashed.seconds, 1))}</p>
          ${journey.backupName ? html`<p>${f.backupSaved(journey.backupName)}</p>` : nothing}
        </section>
        <button class="primary" @click=${() => (this.formFor = st)}>${f.nextUpload}</button>`;
    }
    return html`<section aria-labelledby="settings-h">
        <h2 id="settings-h">3. ${i.stepSettings}</h2>
        <p>${u.intro}</p>
        ${journey.found?.deviceId ? html`<p class="callout" data-testid="kept-lamp">${u.keptLamp(journey.found.deviceId)}</p>` : nothing}
        ${journey.scanError ? html`<p class="callout" role="status" data-testid="scan-error">${i.scanFailed(journey.scanError)}</p>` : nothing}
        <nyala-lamp-settings-form
          purpose="board"
          .settings=${journey.lamp}
          .networks=${journey.networks}
          ?scanning=${journey.scanning}
          submitLabel=${u.upload}
          @scan=${() => void journey.scan()}
          @save=${(e: CustomEvent<LampSettings>) => this.save(e)}
          @cancel=${() => journey.cancel()}
        ></nyala-lamp-settings-form>
      </section>`;
  }

  /** The Wi-Fi or the broker refused what the settings said: the form again, the field to fix focused. */
  private renderFix(st: Extract<InstallState, { state: 'boot-failed' }>) {
    const u = t().upload;
    return html`<section aria-labelledby="fix-h" data-testid="fix-settings">
      <h2 id="fix-h">${u.fixTitle}</h2>
      <nyala-upload-panel .state=${st} .fixBelow=${true}></nyala-upload-panel>
      <nyala-lamp-settings-form
        purpose="board"
        .settings=${journey.lamp}
        .networks=${journey.networks}
        submitLabel=${u.upload}
        @save=${(e: CustomEvent<LampSettings>) => this.save(e)}
        @cancel=${() => journey.reset()}
      ></nyala-lamp-settings-form>
    </section>`;
  }

  private renderUpload(st: InstallState) {
    return html`<section aria-labelledby="upload-h">
      <h2 id="upload-h">4. ${t().install.stepUpload}</h2>
      <nyala-upload-panel .state=${st} .lampKey=${journey.lamp?.key ?? ''} @retry=${() => journey.uploadAgain()} @cancel=${() => journey.cancel()}></nyala-upload-panel>
      ${st.state === 'online' ? html`<button data-testid="start-over" @click=${() => this.connect()}>${t().install.startOver}</button>` : nothing}
    </section>`;
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
            <button @click=${() => this.connect('usb')}>${i.usbFallback}</button>
          </div>`
        : nothing}`;
  }

  private renderBoard(b: DetectedBoard) {
    const f = t().flash;
    return html`<section aria-labelledby="board-h">
      <h2 id="board-h">${f.connected}</h2>
      <dl class="board" data-testid="board-info">
        <dt>${f.chip}</dt><dd data-testid="chip">${b.description}</dd>
        <dt>${f.mac}</dt><dd data-testid="mac">${b.mac}</dd>
        <dt>${f.flashSize}</dt><dd data-testid="flash-size">${b.flashSizeName}</dd>
        <dt>${f.baud}</dt><dd>${formatNumber(b.baud)} baud</dd>
      </dl>
    </section>`;
  }

  private renderFirmware(b: DetectedBoard, asked: boolean) {
    const f = t().flash;
    const options = imagesFor(this.catalog, b.chip, b.flashSize);
    const c = this.choiceFor(b);
    return html`<section aria-labelledby="fw-h">
      <h2 id="fw-h">2. ${f.firmware}</h2>
      ${this.catalogFailed ? html`<p class="callout">${t().install.noCatalog}</p>` : options.length === 0 ? html`<p class="callout">${f.noBundled}</p>` : nothing}
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
        <label class="drop" data-testid="drop-zone" data-dragging=${this.dragging ? 'true' : 'false'}
          @dragenter=${this.onDrag} @dragover=${this.onDrag} @dragleave=${() => (this.dragging = false)} @drop=${this.onDrop}>
          <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>
          <span><strong>${f.chooseFile}</strong> <span class="muted">${this.dragging ? f.dropActive : f.dropHere}</span></span>
          <input id="fw-file" class="visually-hidden" type="file" accept=".bin,application/octet-stream" aria-label=${f.chooseFile}
            @change=${(e: Event) => void this.onFile((e.target as HTMLInputElement).files?.[0])} />
        </label>
      </fieldset>
      <label class="check"><input type="checkbox" .checked=${this.eraseAll} @change=${(e: Event) => (this.eraseAll = (e.target as HTMLInputElement).checked)} /> ${f.eraseAll}</label>
      <p class="muted">${f.eraseAllWhy}</p>
      <label class="check"><input type="checkbox" .checked=${this.backup} @change=${(e: Event) => (this.backup = (e.target as HTMLInputElement).checked)} /> ${f.backup}</label>
      <p class="muted">${f.backupWhy}${this.backup ? html` <strong data-testid="backup-secrets">${f.backupSecrets}</strong>` : nothing}</p>
      ${asked ? nothing : html`<button class="primary" ?disabled=${!c} @click=${() => this.flash(b)}>${f.flash}</button>`}
    </section>`;
  }

  private readonly onDrag = (e: DragEvent) => {
    e.preventDefault();
    this.dragging = true;
  };

  private readonly onDrop = (e: DragEvent) => {
    e.preventDefault();
    this.dragging = false;
    void this.onFile(e.dataTransfer?.files?.[0]);
  };

  private renderConfirm(b: DetectedBoard, eraseAll: boolean, end: number) {
    const f = t().flash;
    return html`<div class="confirm" role="alertdialog" tabindex="-1" aria-labelledby="confirm-h" aria-describedby="confirm-d">
      <h2 id="confirm-h">${f.confirmTitle}</h2>
      <p id="confirm-d">${eraseAll ? f.confirmEraseAll(b.flashSize) : f.confirmPartial(Math.max(end, BOOT_OFFSET[b.chip]))}</p>
      <button class="primary" @click=${() => journey.confirm(true)}>${f.confirmYes}</button>
      <button @click=${() => journey.confirm(false)}>${f.cancel}</button>
    </div>`;
  }

  private renderWork(st: Extract<InstallState, { state: 'backing-up' | 'erasing' | 'writing' | 'verifying' | 'resetting' }>) {
    const f = t().flash;
    const label =
      st.state === 'backing-up' ? f.stateReading
      : st.state === 'erasing' ? f.stateErasing
      : st.state === 'writing' ? f.stateWriting
      : st.state === 'verifying' ? f.stateVerifying
      : t().install.resetting;
    const progress = st.state === 'writing' || st.state === 'backing-up' ? st.progress : undefined;
    return html`<section aria-labelledby="work-h">
      <h2 id="work-h"><span role="status" aria-live="polite" data-testid="flash-state">${label}</span></h2>
      ${progress ? html`<nyala-progress .progress=${progress} label=${label}></nyala-progress>` : html`<div class="spinner" aria-hidden="true"></div>`}
      ${st.state === 'erasing' ? this.renderErasing(st.board) : nothing}
      ${st.state === 'resetting' ? nothing : this.renderCancel()}
    </section>`;
  }

  /**
   * Erasing reports no progress: how long it has taken so far and what to expect. The estimate is
   * issue 17's figure for a whole-chip erase, ~10 s for 4 MB (esptool prints "Chip erase completed
   * successfully in …" in that range on ESP8266/ESP32 boards), scaled by the flash size: the chip
   * erases in sectors, so the time grows with the size.
   */
  private renderErasing(b: DetectedBoard) {
    const f = t().flash;
    const elapsed = Math.max(0, (performance.now() - journey.since) / 1000);
    const estimate = ERASE_SECONDS_PER_MB * (b.flashSize / (1024 * 1024));
    return html`<p class="muted" data-testid="erase-time">${f.erasingFor(formatDuration(Math.floor(elapsed)), formatDuration(Math.round(estimate)), b.flashSizeName)}</p>`;
  }

  private renderError(st: Extract<InstallState, { state: 'failed' }>) {
    const f = t().flash;
    const { key, text } = errorText(st);
    const code = st.error.code;
    const nativeUsb = st.during === 'reconnect';
    const detail = [st.error.detail, ...journey.log.slice(-20)].filter(Boolean).join('\n');
    return html`<section class="error" role="alert" tabindex="-1" data-testid="flash-error" data-code=${key}>
      <p>${text}</p>
      ${code === 'no-bootloader' ? html`<nyala-bootloader-help></nyala-bootloader-help>` : nothing}
      ${nativeUsb ? html`<h2>${f.nativeUsbTitle}</h2><p>${f.nativeUsbBody}</p>` : nothing}
      ${detail ? html`<details><summary>${t().install.details}</summary><pre>${detail}</pre></details>` : nothing}
      <button class="primary" @click=${() => this.connect()}>${f.tryAgain}</button>
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
      .confirm:focus,
      .error:focus,
      [tabindex='-1']:focus {
        outline: 3px solid var(--accent, #fca311);
        outline-offset: 2px;
      }
      /* The file drop zone: the whole box is the file chooser's label, and takes a dropped .bin. */
      label.drop {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin: 0.5rem 0;
        padding: 1rem;
        border: 2px dashed var(--line, #ccc);
        border-radius: 0.75rem;
        cursor: pointer;
        transition: border-color 120ms, background-color 120ms;
      }
      label.drop:hover,
      label.drop:focus-within,
      label.drop[data-dragging='true'] {
        border-color: var(--accent, #fca311);
        background: color-mix(in srgb, var(--accent, #fca311) 10%, transparent);
      }
      label.drop:focus-within {
        outline: 3px solid var(--accent, #fca311);
        outline-offset: 2px;
      }
      label.drop .muted {
        display: block;
      }
    `,
  ];
}
