// The upload part of the install journey, rendered from the routine's state: a progress bar per
// file, then the board's own steps (settings, Wi-Fi, broker), then either "online" or what to
// fix. It does no work itself: "Upload again" and Cancel go back to the install session as events.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { InstallState, UploadSoFar } from '../device/install-routine.ts';
import type { LampLog } from '../device/lamp-log.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles } from './view-styles.ts';
import { errorText } from './install-text.ts';
import './progress-bar.ts';

@customElement('nyala-upload-panel')
export class UploadPanel extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) state?: InstallState;

  private intent(name: 'retry' | 'cancel'): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  override render() {
    const s = this.state;
    if (!s) return nothing;
    const u = t().upload;
    const so: UploadSoFar | undefined = 'so' in s ? s.so : undefined;
    const steps = [...(so?.retried.map((f) => u.stateRetrying(f)) ?? []), ...(so?.logs.flatMap((l) => stepText(l) ?? []) ?? [])];
    const working = s.state === 'uploading' || s.state === 'booting' ? this.workingLabel(s) : undefined;
    return html`
      ${working
        ? html`<p role="status" aria-live="polite" data-testid="upload-state">${working.label}</p>
            ${working.progress ? html`<nyala-progress .progress=${working.progress} label=${working.label}></nyala-progress>` : nothing}
            <button @click=${() => this.intent('cancel')}>${t().flash.cancel}</button>`
        : nothing}
      ${so && so.skipped.length > 0 ? html`<p class="muted">${u.skipped(so.skipped.join(', '))}</p>` : nothing}
      ${steps.length > 0
        ? html`<ol class="steps" aria-label=${u.bootLogLabel} data-testid="boot-steps">
            ${steps.map((step) => html`<li>${step}</li>`)}
          </ol>`
        : nothing}
      ${s.state === 'online'
        ? html`<section role="status" data-testid="lamp-online">
            <h2>${u.onlineTitle}</h2>
            <p>${u.onlineBody}</p>
            <a class="button primary" href="#/remote">${u.openRemote}</a>
          </section>`
        : nothing}
      ${s.state === 'boot-failed' ? this.renderFailure(t().bootHints[s.hint], s.log && 'detail' in s.log ? s.log.detail : '') : nothing}
      ${s.state === 'failed' ? this.renderFailure(errorText(s).text, `${s.error.code}: ${s.error.detail}`) : nothing}
    `;
  }

  private workingLabel(s: Extract<InstallState, { state: 'uploading' | 'booting' }>) {
    const u = t().upload;
    if (s.state === 'booting') return { label: u.stateRestarting };
    const e = s.step;
    switch (e.state) {
      case 'checking':
      case 'plan':
        return { label: u.stateChecking };
      case 'writing':
        return { label: u.stateWriting(e.file), progress: e.progress };
      case 'verifying':
        return { label: u.stateVerifying(e.file) };
      case 'retrying':
        return { label: u.stateRetrying(e.file) };
      case 'renaming':
      case 'uploaded':
        return { label: u.stateRenaming };
      case 'restarting':
      case 'log':
      case 'online':
      case 'failed':
        return { label: u.stateRestarting };
      case 'connecting':
      case 'error':
        return { label: u.stateConnecting };
    }
  }

  private renderFailure(text: string, detail: string) {
    return html`<section class="error" role="alert" data-testid="upload-error">
      <p>${text}</p>
      ${detail ? html`<details><summary>${t().install.details}</summary><pre>${detail}</pre></details>` : nothing}
      <button class="primary" @click=${() => this.intent('retry')}>${t().upload.upload}</button>
    </section>`;
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
