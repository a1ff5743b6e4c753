// A progress bar that says how far, how fast and how long is left; announced politely to
// screen readers.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Progress } from '../device/progress.ts';
import { LocaleController, t } from './locale.ts';
import { formatNumber, formatSecondsLeft } from './format.ts';
import '../i18n/installer.ts';

@customElement('nyala-progress')
export class ProgressBar extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) progress?: Progress;
  @property() label = '';

  override render() {
    const s = t().flash;
    const p = this.progress;
    const pct = p && p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
    const speed = p && p.bytesPerSecond > 0 ? s.speed(formatNumber(p.bytesPerSecond / 1024)) : '';
    const left = p && Number.isFinite(p.secondsLeft) && p.done < p.total ? s.timeLeft(formatSecondsLeft(p.secondsLeft)) : '';
    return html`
      <div class="label"><span>${this.label}</span><span data-testid="percent">${pct}%</span></div>
      <div class="track" role="progressbar" aria-label=${this.label || s.progressLabel} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct} aria-valuetext=${[`${pct}%`, speed, left].filter(Boolean).join(', ')}>
        <div class="fill" style="width:${pct}%"></div>
      </div>
      <div class="meta"><span data-testid="speed">${speed}</span><span data-testid="time-left">${left}</span></div>
    `;
  }

  static override styles = css`
    :host {
      display: block;
      margin: 1rem 0;
    }
    .label,
    .meta {
      display: flex;
      justify-content: space-between;
      gap: 1rem;
    }
    .meta {
      color: var(--muted, GrayText);
      font-size: 0.9em;
      min-height: 1.2em;
    }
    .track {
      height: 0.9rem;
      border-radius: 0.45rem;
      background: var(--line, #ddd);
      overflow: hidden;
      margin: 0.35rem 0;
    }
    .fill {
      height: 100%;
      background: var(--accent, #fca311);
      transition: width 0.2s linear;
    }
  `;
}
