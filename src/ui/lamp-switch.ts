// The big on/off switch: one tap toggles; pending shows at once (before any network round trip).
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LampPower } from '../lamp/remote.ts';

@customElement('nyala-lamp-switch')
export class LampSwitch extends LitElement {
  @property({ attribute: false }) power: LampPower = { state: 'unknown' };
  @property() label = '';
  @property({ type: Boolean }) disabled = false;

  override render() {
    const p = this.power;
    const shown = p.state === 'pending' ? p.want : p.state;
    return html`<button
      role="switch"
      aria-label=${this.label}
      aria-checked=${shown === 'on' ? 'true' : 'false'}
      aria-busy=${p.state === 'pending' ? 'true' : 'false'}
      data-state=${p.state}
      ?disabled=${this.disabled}
      @click=${this.onClick}
    >
      <span class="knob"></span>
    </button>`;
  }

  private onClick() {
    this.dispatchEvent(new CustomEvent('toggle', { bubbles: true, composed: true }));
  }

  static override styles = css`
    :host {
      display: inline-block;
    }
    button {
      /* Far above the 48 × 48 px touch target guideline: this is the one control that matters. */
      width: 8rem;
      height: 4.5rem;
      border-radius: 2.25rem;
      border: 2px solid var(--line, #ccc);
      background: light-dark(#e3e6ec, #2b3550);
      position: relative;
      cursor: pointer;
      padding: 0;
      transition: background 120ms;
    }
    button[aria-checked='true'] {
      background: var(--accent, #fca311);
      border-color: var(--accent, #fca311);
    }
    .knob {
      position: absolute;
      top: 0.4rem;
      left: 0.4rem;
      width: 3.5rem;
      height: 3.5rem;
      border-radius: 50%;
      background: #fff;
      box-shadow: 0 1px 4px rgb(0 0 0 / 0.35);
      transition: left 120ms;
    }
    button[aria-checked='true'] .knob {
      left: calc(100% - 3.9rem);
    }
    button[aria-busy='true'] .knob {
      animation: pulse 0.8s ease-in-out infinite alternate;
    }
    button[aria-busy='true'] {
      border-style: dashed;
    }
    button:disabled {
      opacity: 0.5;
      cursor: not-allowed;
    }
    button:focus-visible {
      outline: 3px solid var(--accent, #fca311);
      outline-offset: 3px;
    }
    @keyframes pulse {
      to {
        opacity: 0.55;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .knob,
      button {
        transition: none;
        animation: none !important;
      }
    }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-lamp-switch': LampSwitch;
  }
}
