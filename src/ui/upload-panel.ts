// The upload part of the install journey, rendered from the routine's state: a progress bar per
// file, then the board's own steps (settings, Wi-Fi, broker), then either "online" or what to
// fix. It does no work itself: "Upload again" and Cancel go back to the install session as events.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { InstallState, UploadSoFar } from '../device/install-routine.ts';
import type { LampLog } from '../device/lamp-log.ts';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';
import { viewStyles, visuallyHidden } from './view-styles.ts';
import { showLampNext } from './remote-view.ts';
import { errorText } from './install-text.ts';
import './progress-bar.ts';

@customElement('nyala-upload-panel')
export class UploadPanel extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) state?: InstallState;
  /** the storage key of the lamp being set up: "Open the remote" selects it */
  @property({ attribute: false }) lampKey = '';
  /** the settings form follows with the field to fix: no "Upload" here (it would send the same values) */
  @property({ attribute: false }) fixBelow = false;

  private intent(name: 'retry' | 'cancel'): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  override render() {
    const s = this.state;
    if (!s) return nothing;
    const u = t().upload;
    const so: UploadSoFar | undefined = 'so' in s ? s.so : undefined;
    const running = s.state === 'uploading' || s.state === 'booting';
    const steps = [
      ...(so?.retried.map((f): Step => ({ text: u.stateRetrying(f), status: 'done' })) ?? []),
      ...bootSteps(so?.logs ?? [], s.state === 'booting' ? 'running' : s.state === 'online' ? 'online' : running ? 'before' : 'ended'),
    ];
    const working = running ? this.workingLabel(s) : undefined;
    return html`
      ${working
        ? html`<p role="status" aria-live="polite" data-testid="upload-state">${working.label}</p>
            ${working.progress ? html`<nyala-progress .progress=${working.progress} label=${working.label}></nyala-progress>` : nothing}
            <button @click=${() => this.intent('cancel')}>${t().flash.cancel}</button>`
        : nothing}
      ${so && so.skipped.length > 0 ? html`<p class="muted">${u.skipped(so.skipped.join(', '))}</p>` : nothing}
      ${steps.length > 0
        ? html`<ol class="steps" aria-label=${u.bootLogLabel} data-testid="boot-steps">
            ${steps.map(
              (step) => html`<li data-status=${step.status}>${ICONS[step.status]}<span>${step.text}</span><span class="visually-hidden"> (${statusWord(step.status)})</span></li>`,
            )}
          </ol>`
        : nothing}
      ${s.state === 'online'
        ? html`<section role="status" data-testid="lamp-online">
            <h2>${u.onlineTitle}</h2>
            <p>${u.onlineBody}</p>
            <a class="button primary" href="#/remote" @click=${() => this.lampKey && showLampNext(this.lampKey)}>${u.openRemote}</a>
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
    return html`<section class="error" role="alert" tabindex="-1" data-testid="upload-error">
      <p>${text}</p>
      ${detail ? html`<details><summary>${t().install.details}</summary><pre>${detail}</pre></details>` : nothing}
      ${this.fixBelow ? nothing : html`<button class="primary" @click=${() => this.intent('retry')}>${t().upload.upload}</button>`}
    </section>`;
  }

  static override styles = [
    viewStyles,
    visuallyHidden,
    css`
      .steps {
        list-style: none;
        padding: 0;
      }
      .steps li {
        margin: 0.4rem 0;
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .steps svg {
        flex: none;
      }
      li[data-status='waiting'] {
        color: var(--muted, GrayText);
      }
      li[data-status='done'] svg {
        color: var(--ok, #2a9d4b);
      }
      li[data-status='failed'] svg {
        color: var(--bad, #c0392b);
      }
      li[data-status='working'] svg {
        color: var(--accent, #fca311);
        animation: spin 1s linear infinite;
      }
      @keyframes spin {
        to {
          transform: rotate(360deg);
        }
      }
      @media (prefers-reduced-motion: reduce) {
        li[data-status='working'] svg {
          animation: none;
        }
      }
      .error:focus {
        outline: 3px solid var(--accent, #fca311);
        outline-offset: 2px;
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

type StepStatus = 'waiting' | 'working' | 'done' | 'failed';
interface Step {
  text: string;
  status: StepStatus;
}

/** One inline SVG per step state (no icon font). */
const ICONS: Record<StepStatus, ReturnType<typeof html>> = {
  waiting: html`<svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true"><circle cx="10" cy="10" r="7.5" fill="none" stroke="currentColor" stroke-width="2" stroke-dasharray="3 3"/></svg>`,
  working: html`<svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true"><circle cx="10" cy="10" r="7.5" fill="none" stroke="currentColor" stroke-opacity="0.3" stroke-width="2.5"/><path d="M10 2.5a7.5 7.5 0 0 1 7.5 7.5" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/></svg>`,
  done: html`<svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true"><circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M5.5 10.5l3 3 6-6.5" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
  failed: html`<svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true"><circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M6.5 6.5l7 7m0-7l-7 7" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/></svg>`,
};

function statusWord(s: StepStatus): string {
  const u = t().upload;
  return s === 'waiting' ? u.stepWaiting : s === 'working' ? u.stepWorking : s === 'done' ? u.stepDone : u.stepFailed;
}

/**
 * The board's steps from its log lines, each with its state: a "connecting" line works until its
 * "ok" (done) or "error" (failed). While the board starts, the steps not reached yet wait below;
 * once the journey has ended, a step still working did not finish.
 */
function bootSteps(logs: readonly LampLog[], phase: 'before' | 'running' | 'online' | 'ended'): Step[] {
  const u = t().upload;
  const steps: Step[] = [];
  const open: Partial<Record<'wifi' | 'mqtt', Step>> = {};
  const seen = new Set<string>();
  for (const log of logs) {
    seen.add(log.part);
    if (log.part === 'config') steps.push({ text: u.stepConfig, status: log.word === 'ok' ? 'done' : 'failed' });
    if (log.part !== 'wifi' && log.part !== 'mqtt') continue;
    if (log.word === 'connecting') {
      const step: Step = { text: log.part === 'wifi' ? u.stepWifi(log.ssid) : u.stepMqtt(`${log.host}:${log.port}`), status: 'working' };
      open[log.part] = step;
      steps.push(step);
    } else {
      const step = open[log.part];
      if (step) step.status = log.word === 'ok' ? 'done' : 'failed';
      open[log.part] = undefined;
      if (log.word === 'ok') steps.push({ text: log.part === 'wifi' ? u.stepWifiOk(log.ip) : u.stepMqttOk, status: 'done' });
    }
  }
  if (phase === 'ended') for (const s of steps) if (s.status === 'working') s.status = 'failed';
  if (phase === 'running' || (phase === 'before' && steps.length > 0)) {
    if (!seen.has('wifi')) steps.push({ text: u.stepWifiPending, status: 'waiting' });
    if (!seen.has('mqtt')) steps.push({ text: u.stepMqttPending, status: 'waiting' });
  }
  return steps;
}
