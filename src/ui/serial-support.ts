// What this browser offers for reaching a board, by feature: nothing to say where Web Serial is
// there; the WebUSB way where only WebUSB is (which adapters it reaches); where neither is, which
// browsers can flash, and the way to the remote, which works everywhere.
import { LitElement, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import { hasWebSerial, hasWebUsb, isSecurePage } from './support.ts';
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
    if (hasWebUsb()) {
      return html`<div class="callout" role="note" data-testid="no-serial" data-reach="usb">
        <h2>${s.usbOnlyTitle}</h2>
        <p data-testid="usb-otg">${s.usbOtg}</p>
        <p>${s.usbOnlyOthers}</p>
        <p>${s.noSerialRemote}</p>
        <a class="button" href=${hrefFor('remote')}>${s.openRemote}</a>
      </div>`;
    }
    return html`<div class="callout" role="note" data-testid="no-serial" data-reach="none">
      <h2>${s.noSerialTitle}</h2>
      <p>${s.noSerialBody}</p>
      <p>${s.noSerialRemote}</p>
      <a class="button primary" href=${hrefFor('remote')}>${s.openRemote}</a>
    </div>`;
  }

  static override styles = viewStyles;
}
