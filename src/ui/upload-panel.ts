// Upload the lamp program to the connected board and follow it until the lamp is online. It asks
// src/device/provision.ts to do the work and renders the events: a progress bar per file, then
// the board's own steps (settings, Wi-Fi, broker), then either "online" or what to fix.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { provisionLamp, UploadError, type ProvisionEvent, type BootResult } from '../device/provision.ts';
import { lampProgram } from '../device/lamp-program.ts';
import type { LampLog } from '../device/lamp-log.ts';
import type { Progress } from '../device/progress.ts';
import type { LampSettings } from '../lamp/settings.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles } from './view-styles.ts';
import { setBusy } from './pwa.ts';
import { connectedPort, pickPort } from './board-link.ts';
import './progress-bar.ts';

type Phase =
  | { name: 'idle' }
  | { name: 'working'; label: string; progress?: Progress }
  | { name: 'online'; ip?: string }
  | { name: 'failed'; text: string; detail?: string };

@customElement('nyala-upload-panel')
export class UploadPanel extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) settings?: LampSettings;
  @state() private phase: Phase = { name: 'idle' };
  @state() private steps: string[] = [];
  @state() private skipped: string[] = [];
  private abort?: AbortController;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  /** Start the upload (also called by the install view right after the person saves settings). */
  async start(): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    const u = t().upload;
    this.steps = [];
    this.skipped = [];
    this.abort = new AbortController();
    this.phase = { name: 'working', label: u.stateConnecting };
    setBusy(true);
    let lease;
    try {
      // The board that was connected, or, after an unplug, the port chosen again.
      const port = connectedPort() ?? (await pickPort(false));
      lease = port.take('repl');
    } catch (err) {
      setBusy(false);
      this.phase = { name: 'failed', text: t().flashErrors['in-use-here'], detail: String(err) };
      return;
    }
    try {
      const result = await provisionLamp(lease.port, lampProgram(settings), {
        signal: this.abort.signal,
        onEvent: (e) => this.onEvent(e),
        throughErrors: false,
      });
      this.finish(result.boot);
    } catch (err) {
      const e = err instanceof UploadError ? err : undefined;
      const errors = t().uploadErrors as Record<string, string>;
      this.phase = { name: 'failed', text: (e && errors[e.code]) ?? errors['board-error']!, detail: e ? `${e.code}${e.file ? ` (${e.file})` : ''}: ${e.detail}` : String(err) };
    } finally {
      setBusy(false);
      await lease.release();
    }
  }

  private finish(boot: BootResult | undefined): void {
    if (!boot) return;
    if (boot.online) {
      this.phase = { name: 'online', ...(boot.ip ? { ip: boot.ip } : {}) };
      this.dispatchEvent(new CustomEvent('online', { bubbles: true, composed: true }));
    } else {
      this.phase = { name: 'failed', text: t().bootHints[boot.hint], ...(boot.log && 'detail' in boot.log ? { detail: boot.log.detail } : {}) };
    }
  }

  private onEvent(e: ProvisionEvent): void {
    const u = t().upload;
    switch (e.state) {
      case 'connecting':
        this.phase = { name: 'working', label: u.stateConnecting };
        break;
      case 'checking':
        this.phase = { name: 'working', label: u.stateChecking };
        break;
      case 'plan':
        this.skipped = e.files.filter((f) => f.action === 'skip').map((f) => f.name);
        break;
      case 'writing':
        this.phase = { name: 'working', label: u.stateWriting(e.file), progress: e.progress };
        break;
      case 'verifying':
        this.phase = { name: 'working', label: u.stateVerifying(e.file) };
        break;
      case 'retrying':
        this.steps = [...this.steps, u.stateRetrying(e.file)];
        break;
      case 'renaming':
        this.phase = { name: 'working', label: u.stateRenaming };
        break;
      case 'uploaded':
        break;
      case 'restarting':
        this.phase = { name: 'working', label: u.stateRestarting };
        break;
      case 'log': {
        const step = stepText(e.log);
        if (step) this.steps = [...this.steps, step];
        break;
      }
      case 'online':
      case 'failed':
      case 'error':
        break;
    }
  }

  override render() {
    const u = t().upload;
    const p = this.phase;
    return html`
      ${p.name === 'working'
        ? html`<p role="status" aria-live="polite" data-testid="upload-state">${p.label}</p>
            ${p.progress ? html`<nyala-progress .progress=${p.progress} label=${p.label}></nyala-progress>` : nothing}
            <button @click=${() => this.abort?.abort()}>${t().flash.cancel}</button>`
        : nothing}
      ${this.skipped.length > 0 ? html`<p class="muted">${u.skipped(this.skipped.join(', '))}</p>` : nothing}
      ${this.steps.length > 0
        ? html`<ol class="steps" aria-label=${u.bootLogLabel} data-testid="boot-steps">
            ${this.steps.map((s) => html`<li>${s}</li>`)}
          </ol>`
        : nothing}
      ${p.name === 'online'
        ? html`<section role="status" data-testid="lamp-online">
            <h2>${u.onlineTitle}</h2>
            <p>${u.onlineBody}</p>
            <a class="button primary" href="#/remote">${u.openRemote}</a>
          </section>`
        : nothing}
      ${p.name === 'failed'
        ? html`<section class="error" role="alert" data-testid="upload-error">
            <p>${p.text}</p>
            ${p.detail ? html`<details><summary>Details</summary><pre>${p.detail}</pre></details>` : nothing}
            <button class="primary" @click=${() => void this.start()}>${u.upload}</button>
          </section>`
        : nothing}
    `;
  }

  static override styles = [
    viewStyles,
    css`
      .steps li {
        margin: 0.25rem 0;
      }
      .muted {
        color: var(--muted, GrayText);
      }
      .error {
        border: 2px solid var(--accent, #fca311);
        border-radius: 0.5rem;
        padding: 0.5rem 1rem 1rem;
      }
      pre {
        white-space: pre-wrap;
      }
    `,
  ];
}

function stepText(log: LampLog): string | undefined {
  const u = t().upload;
  if (log.part === 'config' && log.word === 'ok') return u.stepConfig;
  if (log.part === 'wifi' && log.word === 'connecting') return u.stepWifi(log.ssid);
  if (log.part === 'wifi' && log.word === 'ok') return u.stepWifiOk(log.ip);
  if (log.part === 'mqtt' && log.word === 'connecting') return u.stepMqtt(`${log.host}:${log.port}`);
  if (log.part === 'mqtt' && log.word === 'ok') return u.stepMqttOk;
  return undefined;
}
