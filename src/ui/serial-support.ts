// Shown where Web Serial is missing: which browsers work, and the way to the remote, which works
// everywhere.
import { LitElement, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import { hasWebSerial, isSecurePage } from './support.ts';
import { hrefFor } from './router.ts';
import { viewStyles } from './view-styles.ts';

@customElement('nyala-serial-support')
export class SerialSupport extends LitElement {
  private readonly locale = new LocaleController(this);

  override render() {
    const s = t().support;
    if (!isSecurePage()) {
      return html`<div class="callout" role="note">
        <h2>${s.insecureTitle}</h2>
        <p>${s.insecureBody}</p>
      </div>`;
    }
    if (hasWebSerial()) return nothing;
    return html`<div class="callout" role="note" data-testid="no-serial">
      <h2>${s.noSerialTitle}</h2>
      <p>${s.noSerialBody}</p>
      ${'usb' in navigator ? html`<p data-testid="usb-otg">${s.usbOtg}</p>` : nothing}
      <p>${s.noSerialRemote}</p>
      <a class="button primary" href=${hrefFor('remote')}>${s.openRemote}</a>
    </div>`;
  }

  static override styles = viewStyles;
}
