// The pairing link as a QR code for the phone. qrcode is loaded only when this is opened: a phone
// that only switches lamps never downloads it.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { pairingUrl } from '../lamp/pairing.ts';
import type { LampSettings } from '../lamp/settings.ts';
import { LocaleController, t } from './locale.ts';
import { viewStyles } from './view-styles.ts';

/** A page opened as localhost makes a link that only this computer can open. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\./.test(host);
}

@customElement('nyala-pair-qr')
export class PairQr extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) settings?: LampSettings;
  /** bring the code into view and focus it once drawn (it was just asked for) */
  @property({ type: Boolean }) focusOnDraw = false;
  private focused = false;
  @state() private includeCredentials = false;
  @state() private dataUrl = '';
  @state() private failed = false;
  @state() private copied = false;

  private link(): string {
    if (!this.settings) return '';
    return pairingUrl(location.href, this.settings, { includeCredentials: this.includeCredentials });
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('settings') || changed.has('includeCredentials')) void this.draw(this.link());
  }

  private async draw(link: string) {
    if (!link) return;
    try {
      const mod = await import('qrcode');
      const qrcode = (mod as unknown as { default?: typeof mod }).default ?? mod;
      const url = await qrcode.toDataURL(link, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
      if (link === this.link()) {
        this.dataUrl = url;
        this.failed = false;
        if (this.focusOnDraw && !this.focused) {
          this.focused = true;
          await this.updateComplete;
          const img = this.renderRoot.querySelector<HTMLElement>('img');
          img?.scrollIntoView({ block: 'center', behavior: 'instant' });
          img?.focus({ preventScroll: true });
        }
      }
    } catch {
      this.failed = true;
    }
  }

  override render() {
    if (!this.settings) return nothing;
    const s = t().remote;
    const link = this.link();
    const hasCredentials = this.settings.broker.user !== '';
    return html`
      <p>${s.pairQrHint}</p>
      <p class="warning" data-testid="pair-qr-warning">${this.settings.auth.mode === 'signed' ? s.pairQrWarning : s.pairQrPlain}</p>
      ${hasCredentials
        ? html`<label class="check">
            <input
              type="checkbox"
              .checked=${this.includeCredentials}
              @change=${(e: Event) => (this.includeCredentials = (e.target as HTMLInputElement).checked)}
            />
            ${s.pairIncludeCredentials}
          </label>`
        : nothing}
      ${this.failed
        ? html`<p class="callout">${s.qrFailed}</p>`
        : this.dataUrl
          ? html`<img src=${this.dataUrl} alt=${s.pairQrAlt} width="280" height="280" tabindex="-1" />`
          : nothing}
      ${isLoopback(location.hostname) ? html`<p class="callout" data-testid="pair-localhost">${s.pairLocalhost}</p>` : nothing}
      <p class="link"><code data-testid="pair-link">${link}</code></p>
      <button @click=${() => void this.copy(link)}>${this.copied ? s.copied : s.copyLink}</button>
    `;
  }

  private async copy(link: string) {
    try {
      await navigator.clipboard.writeText(link);
      this.copied = true;
      setTimeout(() => (this.copied = false), 2000);
    } catch {
      const code = this.renderRoot.querySelector('code');
      if (code) getSelection()?.selectAllChildren(code);
    }
  }

  static override styles = [
    viewStyles,
    css`
      img:focus-visible,
      img:focus {
        outline: 3px solid var(--accent, #fca311);
        outline-offset: 3px;
      }
      img {
        display: block;
        background: #fff;
        border-radius: 0.5rem;
      }
      .link {
        word-break: break-all;
        font-size: 0.8rem;
      }
      .warning {
        border-left: 4px solid light-dark(#c1121f, #ff8a8a);
        padding-left: 0.75rem;
      }
      label.check {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 44px;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-pair-qr': PairQr;
  }
}
