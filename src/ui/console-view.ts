// The Console (Konsol) view: the board's REPL in a terminal.
import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { LocaleController, t } from './locale.ts';
import { viewStyles } from './view-styles.ts';
import './serial-support.ts';

@customElement('nyala-console-view')
export class ConsoleView extends LitElement {
  private readonly locale = new LocaleController(this);

  override render() {
    const s = t().console;
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      <p>${s.intro}</p>
      <nyala-serial-support></nyala-serial-support>
    `;
  }

  static override styles = viewStyles;
}
