// How to put a board in download mode by hand, with a picture: the fix for "Failed to connect"
// on boards whose auto-reset circuit is missing or too slow.
import { LitElement, css, html, svg } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import '../i18n/installer.ts';

@customElement('nyala-bootloader-help')
export class BootloaderHelp extends LitElement {
  private readonly locale = new LocaleController(this);

  override render() {
    const s = t().flash;
    return html`
      <h2>${s.bootloaderTitle}</h2>
      <svg viewBox="0 0 320 140" role="img" aria-label=${s.bootloaderAlt}>
        ${svg`
          <rect x="10" y="20" width="300" height="100" rx="10" fill="#1f6f43" />
          <rect x="120" y="45" width="80" height="50" rx="4" fill="#222" />
          <text x="160" y="75" fill="#ddd" font-size="12" text-anchor="middle">ESP</text>
          <rect x="20" y="55" width="30" height="30" rx="4" fill="#ccc" />
          <text x="35" y="110" fill="#fff" font-size="12" text-anchor="middle">EN</text>
          <rect x="270" y="55" width="30" height="30" rx="4" fill="#fca311" />
          <text x="285" y="110" fill="#fff" font-size="12" text-anchor="middle">BOOT</text>
          <text x="285" y="14" fill="currentColor" font-size="12" text-anchor="middle">${s.bootloaderHold}</text>
          <text x="35" y="14" fill="currentColor" font-size="12" text-anchor="middle">${s.bootloaderTap}</text>
        `}
      </svg>
      <p>${s.bootloaderSteps}</p>
    `;
  }

  static override styles = css`
    :host {
      display: block;
    }
    svg {
      width: 100%;
      max-width: 320px;
      color: inherit;
    }
  `;
}
