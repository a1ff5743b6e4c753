// A bulb drawn inline (no image request, no icon font) that lights only with the lamp's CONFIRMED
// state: while a command waits, it keeps showing what the board last said, so the picture never
// claims more than the lamp has reported.
import { LitElement, css, html, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LampPower } from '../lamp/remote.ts';

/** on/off as the board last reported it; null when it has not said. */
export function confirmedPower(p: LampPower): 'on' | 'off' | null {
  if (p.state === 'pending') return p.known;
  return p.state === 'unknown' ? null : p.state;
}

@customElement('nyala-lamp-picture')
export class LampPicture extends LitElement {
  @property({ attribute: false }) power: LampPower = { state: 'unknown' };

  override render() {
    const lit = confirmedPower(this.power);
    // Decorative: the state is said in words beside it (the live "The lamp is on").
    return html`<svg viewBox="0 0 64 80" aria-hidden="true" data-lit=${lit ?? 'unknown'} part="svg">
      ${lit === 'on' ? svg`<circle class="glow" cx="32" cy="30" r="30"></circle>` : ''}
      <path class="glass" d="M32 6a22 22 0 0 0-13 39.7c2.6 2 4 4.6 4 7.3v3h18v-3c0-2.7 1.4-5.3 4-7.3A22 22 0 0 0 32 6z"></path>
      <path class="filament" d="M26 44l3-12 3 6 3-6 3 12" fill="none"></path>
      <rect class="base" x="23" y="58" width="18" height="5" rx="1.5"></rect>
      <rect class="base" x="24" y="65" width="16" height="5" rx="1.5"></rect>
      <path class="base" d="M27 72h10l-2 5h-6z"></path>
    </svg>`;
  }

  static override styles = css`
    :host {
      display: inline-block;
      width: 4.5rem;
      height: 5.6rem;
    }
    svg {
      width: 100%;
      height: 100%;
      overflow: visible;
    }
    .glass {
      fill: light-dark(#eef0f4, #2b3550);
      stroke: light-dark(#8a93a6, #8a93a6);
      stroke-width: 2;
      transition: fill 150ms;
    }
    .filament {
      stroke: light-dark(#8a93a6, #8a93a6);
      stroke-width: 2;
      stroke-linejoin: round;
    }
    .base {
      fill: light-dark(#8a93a6, #5b6475);
    }
    [data-lit='on'] .glass {
      fill: #ffd166;
      stroke: #fca311;
    }
    [data-lit='on'] .filament {
      stroke: #b35c00;
    }
    .glow {
      fill: #fca311;
      opacity: 0.28;
    }
    [data-lit='unknown'] .glass {
      stroke-dasharray: 4 3;
    }
    @media (prefers-reduced-motion: reduce) {
      .glass {
        transition: none;
      }
    }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-lamp-picture': LampPicture;
  }
}
