// The #/pair?… confirmation: what the link would add (or which lamp it replaces), whether it
// carries the lamp's key, or why it cannot be used. Loaded only when a pairing link is opened.
// Adding is the Remote view's job: this fires `pair` with the lamp.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { findPairedLamp, parsePairingParams, type PairingResult } from '../lamp/pairing.ts';
import type { LampSettings } from '../lamp/settings.ts';
import { LocaleController, t } from './locale.ts';
import { pairingIssueText } from './settings-text.ts';
import { viewStyles } from './view-styles.ts';

export interface PairEventDetail {
  lamp: LampSettings;
  /** the link brought the broker's user and password (else an existing lamp keeps its own) */
  carriedCredentials: boolean;
}

@customElement('nyala-pair-confirm')
export class PairConfirm extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) params?: URLSearchParams;
  /** the lamps already on this device: the link may describe one of them again */
  @property({ attribute: false }) lamps: readonly LampSettings[] = [];
  private result: PairingResult | null = null;
  /**
   * The person agreed: the lamp is being saved and the page moves on. Without this the list of
   * lamps grows first and the same link re-renders as "replace" the lamp it just added.
   */
  @state() private agreed = false;

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('params')) {
      this.result = this.params ? parsePairingParams(this.params) : null;
      this.agreed = false;
    }
  }

  override render() {
    const result = this.result;
    if (!result || this.agreed) return nothing;
    const s = t().remote;
    if (!result.ok) {
      return html`<section class="callout" role="alert" data-testid="pair-invalid">
        <p>${s.pairInvalid}</p>
        <ul>
          ${result.issues.map((i) => html`<li>${pairingIssueText(i)}</li>`)}
        </ul>
      </section>`;
    }
    const l = result.settings;
    const existing = findPairedLamp(this.lamps, l);
    return html`<section class="pair" aria-labelledby="pair-title">
      <h2 id="pair-title">${s.pairTitle}</h2>
      <p>${s.pairIntro}</p>
      ${existing ? html`<p class="replaces" data-testid="pair-replaces">${s.pairReplaces(existing.name)}</p>` : nothing}
      <dl>
        <dt>${s.name}</dt>
        <dd>${l.name}</dd>
        <dt>${s.wsUrl}</dt>
        <dd>${l.broker.ws}</dd>
        <dt>${s.topicCommand}</dt>
        <dd>${l.topics.command}</dd>
        <dt>${s.topicReply}</dt>
        <dd>${l.topics.reply}</dd>
      </dl>
      ${result.carriedCredentials ? html`<p>${s.pairCarriesCredentials}</p>` : nothing}
      <p class="warning" data-testid="pair-auth">${l.auth.mode === 'signed' ? s.pairCarriesKey : s.pairPlain}</p>
      <div class="buttons">
        <button class="primary" @click=${() => this.fire({ lamp: l, carriedCredentials: result.carriedCredentials })}>
          ${existing ? s.pairReplace(existing.name) : s.pairAdd}
        </button>
        <button @click=${() => (location.hash = '#/remote')}>${s.cancel}</button>
      </div>
    </section>`;
  }

  private fire(detail: PairEventDetail) {
    this.agreed = true;
    this.dispatchEvent(new CustomEvent<PairEventDetail>('pair', { detail, bubbles: true, composed: true }));
  }

  static override styles = [
    viewStyles,
    css`
      .pair {
        border: 2px solid var(--accent, #fca311);
        border-radius: 0.75rem;
        padding: 0.5rem 1rem 1rem;
        margin-bottom: 1rem;
      }
      h2 {
        font-size: 1.15rem;
      }
      dd {
        margin: 0 0 0.4rem;
        word-break: break-all;
      }
      dt {
        color: var(--muted, #666);
        font-size: 0.85rem;
      }
      .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
      }
      .replaces,
      .warning {
        border-left: 4px solid light-dark(#c1121f, #ff8a8a);
        padding-left: 0.75rem;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-pair-confirm': PairConfirm;
  }
}
