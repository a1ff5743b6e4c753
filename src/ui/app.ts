import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

@customElement('nyala-app')
export class NyalaApp extends LitElement {
  override render() {
    return html`<main><h1>Nyala</h1></main>`;
  }
}
