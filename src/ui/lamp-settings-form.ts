// A lamp's settings as the remote needs them: name, broker, who can switch it (signed or plain),
// topics, answers. (The upload issue's board form adds Wi-Fi and the pin on top of the same
// model.) Saving validates first and shows each problem beside its field.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import {
  BROKER_PRESETS,
  applyBrokerPreset,
  validateSettings,
  withDeviceProtocol,
  withTutorialProtocol,
  type BrokerPresetId,
  type LampSettings,
  type SettingsField,
  type SettingsIssue,
} from '../lamp/settings.ts';
import { LocaleController, t } from './locale.ts';
import { issueText } from './settings-text.ts';
import { viewStyles, visuallyHidden } from './view-styles.ts';
import { demoInfo } from './demo-hooks.ts';

const LOCAL_BROKER = 'local';

/** Fields under "Advanced": a problem in one of them opens it. */
const ADVANCED_FIELDS: ReadonlySet<SettingsField> = new Set<SettingsField>([
  'lamp.pin',
  'deviceId',
  'auth.key',
  'topics.command',
  'topics.reply',
  'topics.status',
  'topics.state',
  'replies.on',
  'replies.off',
  'broker.user',
  'broker.password',
]);

@customElement('nyala-lamp-settings-form')
export class LampSettingsForm extends LitElement {
  private readonly locale = new LocaleController(this);
  @property({ attribute: false }) settings?: LampSettings;
  /** an existing lamp can be removed; a new one only cancelled */
  @property({ type: Boolean }) removable = false;
  /** 'board': the upload's form — Wi-Fi, the broker's TCP endpoint and the lamp pin too */
  @property() purpose: 'remote' | 'board' = 'remote';
  /** networks the board saw (the Wi-Fi name field suggests them) */
  @property({ attribute: false }) networks: readonly string[] = [];
  /** shown while the board scans */
  @property({ type: Boolean }) scanning = false;
  /** the label of the submit button (the upload form says "Upload") */
  @property() submitLabel = '';
  @state() private draft?: LampSettings;
  @state() private issues: SettingsIssue[] = [];
  @state() private advancedOpen = false;

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('settings') && this.settings) {
      this.draft = structuredClone(this.settings);
      this.issues = [];
    }
  }

  private edit(change: (d: LampSettings) => void) {
    if (!this.draft) return;
    const next = structuredClone(this.draft);
    change(next);
    this.draft = next;
  }

  private save(e: Event) {
    e.preventDefault();
    if (!this.draft) return;
    this.issues = validateSettings(this.draft, { purpose: this.purpose, pageIsSecure: location.protocol === 'https:' });
    if (this.issues.length > 0) {
      if (this.issues.some((i) => ADVANCED_FIELDS.has(i.field))) this.advancedOpen = true;
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    this.dispatchEvent(new CustomEvent<LampSettings>('save', { detail: this.draft, bubbles: true, composed: true }));
  }

  /** Shows problems found elsewhere (the board refused the Wi-Fi password…): each beside its
   *  field, "Advanced" opened if one is there, the first such field focused. */
  async showIssues(issues: SettingsIssue[]): Promise<void> {
    this.issues = issues;
    if (issues.some((i) => ADVANCED_FIELDS.has(i.field))) this.advancedOpen = true;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  private field(field: SettingsField, label: string, value: string, set: (d: LampSettings, v: string) => void, type = 'text', list?: string) {
    const errors = this.issues.filter((i) => i.field === field);
    const id = field.replace('.', '-');
    return html`<label for=${id}>${label}</label>
      <input
        id=${id}
        name=${field}
        type=${type}
        .value=${value}
        autocomplete="off"
        list=${list ?? nothing}
        spellcheck="false"
        aria-invalid=${errors.length > 0 ? 'true' : 'false'}
        aria-describedby=${errors.length > 0 ? `${id}-error` : nothing}
        @input=${(e: Event) => this.edit((d) => set(d, (e.target as HTMLInputElement).value))}
      />
      ${errors.length > 0 ? html`<p class="error" id=${`${id}-error`}>${errors.map(issueText).join(' ')}</p>` : nothing}`;
  }

  override render() {
    const d = this.draft;
    if (!d) return nothing;
    const s = t().remote;
    const b = t().board;
    const preset = BROKER_PRESETS.find((p) => p.id === d.broker.preset);
    const board = this.purpose === 'board';
    const demo = demoInfo();
    const onLocal = demo !== undefined && d.broker.host === demo.broker.host && d.broker.ws === demo.broker.ws;
    // What a newcomer fills in comes first (Wi-Fi, the broker, a name); what the defaults already
    // get right waits under "Advanced", which opens by itself when something there needs fixing.
    return html`<form @submit=${this.save} novalidate>
      ${board ? this.renderWifi(d) : nothing}
      ${this.field('name', s.name, d.name, (x, v) => (x.name = v))}
      <fieldset>
        <legend>${s.broker}</legend>
        <label for="preset" class="visually-hidden">${s.broker}</label>
        <select
          id="preset"
          .value=${onLocal ? LOCAL_BROKER : d.broker.preset}
          @change=${(e: Event) => this.pickBroker((e.target as HTMLSelectElement).value)}
        >
          ${demo ? html`<option value=${LOCAL_BROKER} ?selected=${onLocal}>${t().board.localBroker}</option>` : nothing}
          ${BROKER_PRESETS.map(
            (p) => html`<option value=${p.id} ?selected=${!onLocal && p.id === d.broker.preset}>${p.id === 'custom' ? s.presetCustom : p.host}</option>`,
          )}
        </select>
        ${preset?.public ? html`<p class="callout">${s.publicBrokerWarning}</p>` : nothing}
        ${this.field('broker.ws', s.wsUrl, d.broker.ws, (x, v) => ((x.broker.ws = v), (x.broker.preset = 'custom')), 'url')}
        <p class="hint">${s.wsUrlHint}</p>
        ${board
          ? html`<div class="pair">
                <div>${this.field('broker.host', b.host, d.broker.host, (x, v) => ((x.broker.host = v), (x.broker.preset = 'custom')))}</div>
                <div class="narrow">${this.field('broker.port', b.port, String(d.broker.port), (x, v) => ((x.broker.port = Number(v)), (x.broker.preset = 'custom')), 'number')}</div>
              </div>
              <p class="hint">${b.hostHint}</p>`
          : nothing}
      </fieldset>
      <details class="advanced" ?open=${this.advancedOpen} @toggle=${(e: Event) => (this.advancedOpen = (e.target as HTMLDetailsElement).open)}>
        <summary>${s.advanced}</summary>
        <p class="hint">${s.advancedHint}</p>
        ${board ? this.renderLampFields(d) : nothing}
        ${this.renderProtocol(d)}
        <fieldset>
          <legend>${s.topics}</legend>
          ${this.field('topics.command', s.topicCommand, d.topics.command, (x, v) => (x.topics.command = v))}
          ${this.field('topics.reply', s.topicReply, d.topics.reply, (x, v) => (x.topics.reply = v))}
          ${this.field('topics.status', s.topicStatus, d.topics.status, (x, v) => (x.topics.status = v))}
          ${this.field('topics.state', s.topicState, d.topics.state, (x, v) => (x.topics.state = v))}
        </fieldset>
        <fieldset>
          <legend>${s.replies}</legend>
          ${this.field('replies.on', s.replyOn, d.replies.on, (x, v) => (x.replies.on = v))}
          ${this.field('replies.off', s.replyOff, d.replies.off, (x, v) => (x.replies.off = v))}
        </fieldset>
        <fieldset>
          <legend>${s.brokerLogin}</legend>
          ${this.field('broker.user', s.user, d.broker.user, (x, v) => (x.broker.user = v))}
          ${this.field('broker.password', s.password, d.broker.password, (x, v) => (x.broker.password = v), 'password')}
          ${board && d.broker.password !== ''
            ? html`<p class="callout" data-testid="password-in-clear">${b.passwordInClear(d.broker.port)}</p>`
            : nothing}
          <label class="check">
            <input
              type="checkbox"
              .checked=${d.remember.brokerCredentials}
              @change=${(e: Event) => this.edit((x) => (x.remember.brokerCredentials = (e.target as HTMLInputElement).checked))}
            />
            ${s.rememberCredentials}
          </label>
        </fieldset>
      </details>
      <div class="row">
        <button type="submit" class="primary">${this.submitLabel || s.save}</button>
        <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('cancel', { bubbles: true, composed: true }))}>
          ${s.cancel}
        </button>
        ${this.removable
          ? html`<button type="button" class="danger" @click=${this.askRemove}>${s.removeLamp}</button>`
          : nothing}
      </div>
    </form>`;
  }

  /**
   * Signed (this lamp's own topics and its key) or plain (the tutorial's topics and protocol).
   * Two toggle buttons, one pressed; the sentence under them is a live region, so choosing plain
   * is followed at once, for the eye and for a screen reader, by "anyone on this broker can
   * switch this lamp".
   */
  private renderProtocol(d: LampSettings) {
    const s = t().remote;
    const signed = d.auth.mode === 'signed';
    return html`<fieldset>
      <legend>${s.protocol}</legend>
      <div class="row protocol">
        <button type="button" aria-pressed=${signed ? 'true' : 'false'} aria-describedby="protocol-explain"
          @click=${() => this.edit((x) => Object.assign(x, withDeviceProtocol(x)))}>${s.useDeviceTopics}</button>
        <button type="button" aria-pressed=${signed ? 'false' : 'true'} aria-describedby="protocol-explain"
          @click=${() => this.edit((x) => Object.assign(x, withTutorialProtocol(x)))}>${s.useTutorialTopics}</button>
      </div>
      <p id="protocol-explain" aria-live="polite" class=${signed ? 'hint' : 'callout warning'} data-testid=${signed ? 'signed-explain' : 'plain-warning'}>
        ${signed ? s.signedExplain : s.plainWarning}
      </p>
      ${d.auth.mode === 'signed'
        ? html`${this.field('auth.key', s.lampKey, d.auth.key, (x, v) => (x.auth = { mode: 'signed', key: v.replace(/\s+/g, '').toLowerCase() }))}
            <p class="hint">${this.purpose === 'board' ? t().board.keyHint : s.lampKeyHint}</p>`
        : nothing}
    </fieldset>`;
  }

  /** Wi-Fi: what only the board needs, first in its form. Networks the board saw are buttons to pick. */
  private renderWifi(d: LampSettings) {
    const b = t().board;
    const s = t().remote;
    return html`<fieldset>
      <legend>${b.wifi}</legend>
      ${this.field('wifi.ssid', b.ssid, d.wifi.ssid, (x, v) => (x.wifi.ssid = v), 'text', 'nyala-networks')}
      <datalist id="nyala-networks">${this.networks.map((n) => html`<option value=${n}></option>`)}</datalist>
      ${this.networks.length > 0
        ? html`<div class="networks" role="group" aria-label=${s.networksSeen} data-testid="networks">
            ${this.networks.map(
              (n) => html`<button type="button" class="chip" aria-pressed=${n === d.wifi.ssid ? 'true' : 'false'}
                @click=${() => this.edit((x) => (x.wifi.ssid = n))}>${n}</button>`,
            )}
          </div>`
        : nothing}
      <div class="row">
        <button type="button" ?disabled=${this.scanning} @click=${() => this.dispatchEvent(new CustomEvent('scan', { bubbles: true, composed: true }))}>
          ${this.scanning ? b.scanning : b.scan}
        </button>
      </div>
      <p class="hint">${b.ssidHint}</p>
      ${this.field('wifi.password', b.wifiPassword, d.wifi.password, (x, v) => (x.wifi.password = v), 'password')}
      <label class="check">
        <input type="checkbox" .checked=${d.remember.wifiPassword}
          @change=${(e: Event) => this.edit((x) => (x.remember.wifiPassword = (e.target as HTMLInputElement).checked))} />
        ${b.rememberWifi}
      </label>
    </fieldset>`;
  }

  /** The lamp pin and the device id: the defaults fit the tutorial's board. */
  private renderLampFields(d: LampSettings) {
    const b = t().board;
    return html`<fieldset>
      <legend>${b.lamp}</legend>
      ${this.field('lamp.pin', b.pin, String(d.lamp.pin), (x, v) => (x.lamp.pin = Number(v)), 'number')}
      <label class="check">
        <input type="checkbox" .checked=${d.lamp.activeLow}
          @change=${(e: Event) => this.edit((x) => (x.lamp.activeLow = (e.target as HTMLInputElement).checked))} />
        ${b.activeLow}
      </label>
      ${this.field('deviceId', b.deviceId, d.deviceId, (x, v) => (x.deviceId = v.toLowerCase()))}
    </fieldset>`;
  }

  /** A preset, or (under npm start) the local broker, which is a custom broker with known endpoints. */
  private pickBroker(value: string) {
    const demo = demoInfo();
    if (value === LOCAL_BROKER && demo) {
      this.edit((x) => (x.broker = { ...x.broker, preset: 'custom', host: demo.broker.host, port: demo.broker.port, ws: demo.broker.ws }));
      return;
    }
    this.edit((x) => (x.broker = applyBrokerPreset(x.broker, value as BrokerPresetId)));
  }

  /** The remote asks "Remove …?" in the page itself (no confirm() box) before anything is removed. */
  private askRemove() {
    this.dispatchEvent(new CustomEvent('remove', { bubbles: true, composed: true }));
  }

  static override styles = [
    viewStyles,
    visuallyHidden,
    css`
      form {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      fieldset {
        border: 1px solid var(--line, #ccc);
        border-radius: 0.5rem;
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
        margin: 0.35rem 0;
        padding: 0.5rem 0.75rem 0.75rem;
        min-width: 0;
      }
      legend {
        font-weight: 700;
        padding: 0 0.25rem;
      }
      label {
        font-weight: 600;
        margin-top: 0.3rem;
      }
      .pair {
        display: grid;
        grid-template-columns: 1fr 6.5rem;
        gap: 0.5rem;
      }
      .pair > div {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
        min-width: 0;
      }
      .networks {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        margin-top: 0.25rem;
      }
      .chip {
        min-height: 40px;
        padding: 0.25rem 0.75rem;
        border-radius: 999px;
        font-size: 0.95rem;
      }
      .chip[aria-pressed='true'] {
        border-color: var(--accent, #fca311);
        box-shadow: inset 0 0 0 2px var(--accent, #fca311);
        font-weight: 600;
      }
      details.advanced {
        border-top: 1px solid var(--line, #ccc);
        margin-top: 0.25rem;
      }
      details.advanced > summary {
        min-height: 48px;
        display: flex;
        align-items: center;
        gap: 0.5rem;
        cursor: pointer;
        font-weight: 700;
        list-style: none;
      }
      details.advanced > summary::-webkit-details-marker {
        display: none;
      }
      details.advanced > summary::before {
        content: '▸';
      }
      details.advanced[open] > summary::before {
        content: '▾';
      }
      summary:focus-visible {
        outline: 3px solid var(--accent, #fca311);
        outline-offset: 2px;
      }
      label.check {
        font-weight: normal;
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 44px;
      }
      input:not([type='checkbox']) {
        font: inherit;
        min-height: 44px;
        padding: 0 0.5rem;
        border: 1px solid var(--line, #ccc);
        border-radius: 0.4rem;
        background: var(--paper, Canvas);
        color: inherit;
      }
      input:not([type='checkbox']),
      select {
        width: 100%;
        box-sizing: border-box;
      }
      input[type='checkbox'] {
        width: 1.25rem;
        height: 1.25rem;
        accent-color: var(--accent, #fca311);
      }
      input[aria-invalid='true'] {
        border-color: #c1121f;
      }
      .error {
        color: light-dark(#c1121f, #ff8a8a);
        margin: 0;
      }
      .hint {
        color: var(--muted, #666);
        margin: 0;
        font-size: 0.9rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.5rem;
      }
      .danger {
        color: light-dark(#c1121f, #ff8a8a);
      }
      .protocol button[aria-pressed='true'] {
        border-color: var(--accent, #fca311);
        box-shadow: inset 0 -3px 0 var(--accent, #fca311);
        font-weight: 600;
      }
      .callout.warning {
        border-left-color: light-dark(#c1121f, #ff8a8a);
        margin: 0.25rem 0;
      }
      #auth-key {
        font-family: ui-monospace, monospace;
      }
    `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-lamp-settings-form': LampSettingsForm;
  }
}
