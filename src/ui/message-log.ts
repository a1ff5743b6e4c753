// The message log with timestamps, and a button that copies it as plain text.
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LogEntry } from '../lamp/remote.ts';
import { LocaleController, t } from './locale.ts';
import { logLine } from './remote-text.ts';

@customElement('nyala-message-log')
export class MessageLog extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) entries: readonly LogEntry[] = [];
  @state() private copied = false;

  override render() {
    const s = t().remote;
    const lines = this.entries.map(logLine);
    return html`
      <div class="bar">
        <button @click=${() => void this.copy(lines.join('\n'))}>${this.copied ? s.copied : s.copyLog}</button>
      </div>
      ${lines.length === 0
        ? html`<p>${s.logEmpty}</p>`
        : // Focusable, so a keyboard can scroll it (it holds up to 200 lines).
          html`<ol aria-label=${s.log} tabindex="0">
            ${lines.map((l, i) => html`<li class=${this.entries[i]?.kind ?? ''}>${l}</li>`)}
          </ol>`}
    `;
  }

  private async copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (an http page, an old browser): select the text for a manual copy.
      const list = this.renderRoot.querySelector('ol');
      if (list) getSelection()?.selectAllChildren(list);
      return;
    }
    this.copied = true;
    setTimeout(() => (this.copied = false), 2000);
  }

  override updated() {
    // Keep the newest line in view, as a terminal does.
    const list = this.renderRoot.querySelector('ol');
    if (list) list.scrollTop = list.scrollHeight;
  }

  static override styles = css`
    :host {
      display: block;
    }
    .bar {
      display: flex;
      justify-content: flex-end;
    }
    button {
      font: inherit;
      min-height: 44px;
      padding: 0.25rem 1rem;
      border-radius: 0.5rem;
      border: 1px solid var(--line, #ccc);
      background: transparent;
      color: inherit;
    }
    ol {
      list-style: none;
      margin: 0.5rem 0 0;
      padding: 0.5rem;
      max-height: 16rem;
      overflow: auto;
      font: 0.85rem/1.4 ui-monospace, monospace;
      border: 1px solid var(--line, #ccc);
      border-radius: 0.5rem;
      user-select: text;
    }
    ol:focus-visible {
      outline: 3px solid var(--accent, #fca311);
      outline-offset: 2px;
    }
    li {
      white-space: pre-wrap;
      word-break: break-all;
    }
    li.connection,
    li.command {
      color: var(--muted, #666);
    }
    li.ignored {
      color: light-dark(#a4161a, #ff8a8a);
    }
  `;
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-message-log': MessageLog;
  }
}
