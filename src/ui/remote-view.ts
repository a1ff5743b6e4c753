// The Remote view: switches the lamp over MQTT. The remote issue builds its body on src/lamp/.
import { LitElement, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import { viewStyles } from './view-styles.ts';

@customElement('nyala-remote-view')
export class RemoteView extends LitElement {
  private readonly locale = new LocaleController(this);
  /** Set when the page was opened from a pairing link (#/pair?…). */
  @property({ attribute: false }) pairParams?: URLSearchParams;

  override render() {
    const s = t().remote;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
    `;
  }

  static override styles = viewStyles;
}
