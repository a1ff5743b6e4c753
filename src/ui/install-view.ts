// The Install (Pasang) view: the steps from a bare board to a working lamp.
import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import { viewStyles } from './view-styles.ts';
import './serial-support.ts';

@customElement('nyala-install-view')
export class InstallView extends LitElement {
  private readonly locale = new LocaleController(this);

  override render() {
    const s = t().install;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
      <nyala-serial-support></nyala-serial-support>
      <ol aria-label=${s.stepsLabel}>
        <li>${s.stepConnect}</li>
        <li>${s.stepFlash}</li>
        <li>${s.stepSettings}</li>
        <li>${s.stepUpload}</li>
      </ol>
    `;
  }

  static override styles = viewStyles;
}
