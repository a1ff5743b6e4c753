// The Remote view: several lamps, each with a big switch and On/Off buttons, its state, the last
// answer with its time, online badge, connection status and message log; its settings; a QR code
// to pair a phone; and the #/pair?… flow that adds a lamp after a confirmation.
// All MQTT is in src/lamp/remote.ts; this renders its snapshots and asks it to act.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { LampRemote, Power, RemoteSnapshot } from '../lamp/remote.ts';
import { defaultSettings, type LampSettings } from '../lamp/settings.ts';
import { LocaleController, t } from './locale.ts';
import { clock, connectionText, failureText, outcomeText, presenceText, seenAt } from './remote-text.ts';
import { session } from './remote-session.ts';
import { viewStyles } from './view-styles.ts';
import type { PairEventDetail } from './pair-confirm.ts';
import './lamp-switch.ts';
import './lamp-picture.ts';
import './message-log.ts';

// What a phone that only switches lamps never needs is loaded when first used: the settings
// form, the pairing confirmation, the QR code (with qrcode) and the JSON file functions.
const lazy = {
  form: () => import('./lamp-settings-form.ts'),
  pairConfirm: () => import('./pair-confirm.ts'),
  qr: () => import('./pair-qr.ts'),
  files: () => import('../lamp/settings-file.ts'),
};

/** A sentence to show once after a hash change re-creates the view (e.g. "Teras was added"). */
let noticeForNextView = '';
/** Which lamp was shown last, across view changes. */
let lastSelected = '';

/** The lamp the Remote shows when it next opens (the installer's "Open the remote" passes the lamp it just set up). */
export function showLampNext(key: string): void {
  lastSelected = key;
}

/** Offline this long (or never seen here) and the remote says so, with a way to remove it. */
const LONG_OFFLINE_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the last command's alert still describes the lamp. "Not sent: no connection" holds until
 * the broker is back; "no answer: offline" until the lamp is online again; any other failure until
 * the lamp reports its state after it. Else an old alert would sit beside a green Online badge.
 */
export function outcomeStillHolds(snap: RemoteSnapshot): boolean {
  const o = snap.lastOutcome;
  if (!o || o.result === 'confirmed' || snap.power.state === 'pending') return false;
  if (o.result === 'not-sent' && o.reason !== 'publish-error') return snap.connection.state !== 'connected';
  if (o.result === 'no-answer' && o.presence === 'offline') return snap.presence !== 'online';
  const at = snap.log.findLast((e) => e.kind === 'command' && e.outcome === o)?.at;
  const p = snap.power;
  return !(p.state === 'on' || p.state === 'off') || at === undefined || p.at <= at;
}

@customElement('nyala-remote-view')
export class RemoteView extends LitElement {
  private readonly locale = new LocaleController(this);
  /** Set when the page was opened from a pairing link (#/pair?…). */
  @property({ attribute: false }) pairParams?: URLSearchParams;
  @state() private selected = lastSelected;
  @state() private editing: { lamp: LampSettings; isNew: boolean } | null = null;
  @state() private showQr = false;
  @state() private notice = noticeForNextView;
  /** the export carries the signed lamps' keys only when this is ticked */
  @state() private exportKeys = false;
  /** the lamp whose removal waits for "Yes, remove" */
  @state() private confirmRemove: string | null = null;
  /** a command pressed while the lamp was known to be offline (not sent) */
  @state() private offlineTap: string | null = null;
  private offSession?: () => void;
  private ticker?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    noticeForNextView = '';
    session.ensureStarted();
    this.offSession = session.onChange(() => this.requestUpdate());
    // The reconnect countdown is the only text that changes with time alone.
    this.ticker = setInterval(() => {
      if (this.current()?.snapshot.connection.state === 'reconnecting') this.requestUpdate();
    }, 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offSession?.();
    clearInterval(this.ticker);
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('pairParams') && this.pairParams) void lazy.pairConfirm();
    if (this.editing) void lazy.form();
    if (!session.lamps.some((l) => l.key === this.selected)) this.selected = session.lamps[0]?.key ?? '';
    lastSelected = this.selected;
  }

  private current(): LampRemote | undefined {
    return session.remote(this.selected);
  }

  override render() {
    const s = t().remote;
    const lamp = session.lamps.find((l) => l.key === this.selected);
    return html`
      <h1 tabindex="-1">${s.title}</h1>
      ${this.notice ? html`<p class="callout" role="status">${this.notice}</p>` : nothing}
      ${this.pairParams
        ? html`<nyala-pair-confirm
            .params=${this.pairParams}
            .lamps=${session.lamps}
            @pair=${(e: CustomEvent<PairEventDetail>) => void this.confirmPairing(e.detail)}
          ></nyala-pair-confirm>`
        : nothing}
      ${this.renderLampTabs()}
      ${this.editing
        ? html`<h2>${s.settings}</h2>
            <nyala-lamp-settings-form
              .settings=${this.editing.lamp}
              ?removable=${!this.editing.isNew}
              @save=${(e: CustomEvent<LampSettings>) => void this.saveLamp(e.detail)}
              @cancel=${() => (this.editing = null)}
              @remove=${() => this.askRemove(this.editing?.lamp.key ?? '')}
            ></nyala-lamp-settings-form>`
        : lamp
          ? this.renderLamp(lamp)
          : this.pairParams
            ? nothing
            : html`<p>${s.intro}</p>
                <p>${s.noLamps}</p>`}
      ${this.editing ? nothing : this.renderFiles()}
    `;
  }

  private renderLampTabs() {
    const s = t().remote;
    if (session.lamps.length === 0 && !this.editing) {
      // While a pairing link asks for confirmation, its button is the only "add".
      return this.pairParams ? nothing : html`<button class="primary" @click=${this.addLamp}>${s.addLamp}</button>`;
    }
    return html`<div class="lamps" role="group" aria-label=${s.lampsLabel}>
      ${session.lamps.map((l) => {
        const presence = session.remote(l.key)?.snapshot.presence ?? 'unknown';
        return html`<button
          class="lamp-tab"
          aria-pressed=${l.key === this.selected ? 'true' : 'false'}
          @click=${() => {
            this.selected = l.key;
            this.editing = null;
            this.showQr = false;
            this.confirmRemove = null;
            this.offlineTap = null;
          }}
        >
          <span class=${`dot ${presence}`} aria-hidden="true"></span>${l.name}
        </button>`;
      })}
      <button class="lamp-tab" @click=${this.addLamp}>+ ${s.addLamp}</button>
    </div>`;
  }

  private renderLamp(lamp: LampSettings) {
    const s = t().remote;
    const remote = session.remote(lamp.key);
    if (!remote) return nothing;
    const snap = remote.snapshot;
    const seen = session.lastSeen(lamp.key);
    const longOffline = snap.presence === 'offline' && (seen === undefined || Date.now() - seen > LONG_OFFLINE_MS);
    const tappedOffline = this.offlineTap === lamp.key && snap.presence === 'offline';
    // The controls stay enabled without a connection: a tap then says plainly "not sent, and it
    // will not be sent later", which a greyed-out button cannot.
    return html`
      <section class="panel" aria-label=${lamp.name}>
        <dl class="status">
          <div>
            <dt>${s.brokerStatus}</dt>
            <dd data-testid="connection" data-state=${snap.connection.state}>${this.renderConnection(snap)}</dd>
          </div>
          <div>
            <dt>${s.lampStatus}</dt>
            <dd>
              <span class=${`badge ${snap.presence}`} data-testid="presence">${presenceText(snap.presence)}</span>
              ${snap.presence === 'offline'
                ? html`<span class="seen" data-testid="last-seen">${seen === undefined ? s.neverSeen : s.lastSeen(seenAt(seen))}</span>`
                : nothing}
            </dd>
          </div>
          <div>
            <dt>${s.lastReply}</dt>
            <dd data-testid="last-reply">
              ${snap.lastReply ? s.replyAt(snap.lastReply.text, clock(snap.lastReply.at)) : s.noReplyYet}
            </dd>
          </div>
        </dl>
        ${lamp.auth.mode === 'plain' ? html`<p class="callout warning" data-testid="plain-warning">${s.plainLampWarning}</p>` : nothing}
        ${snap.ignored > 0 ? html`<p class="hint" data-testid="ignored">${s.ignoredCount(snap.ignored)}</p>` : nothing}
        ${longOffline && this.confirmRemove !== lamp.key
          ? html`<div class="callout" data-testid="long-offline">
              <p>${seen === undefined ? s.offlineLongNever(lamp.name) : s.offlineLong(lamp.name, seenAt(seen))}</p>
              <button class="small" @click=${() => this.askRemove(lamp.key)}>${s.removeLamp}</button>
            </div>`
          : nothing}
        ${this.confirmRemove === lamp.key ? this.renderRemoveConfirm(lamp) : nothing}
        ${tappedOffline
          ? html`<p class="callout" role="alert" data-testid="outcome">${s.commandOffline(lamp.name)}</p>`
          : outcomeStillHolds(snap) && snap.lastOutcome
            ? html`<p class="callout" role="alert" data-testid="outcome">${outcomeText(snap.lastOutcome)}</p>`
            : nothing}
        <div class="controls">
          <div class="pic"><nyala-lamp-picture .power=${snap.power}></nyala-lamp-picture></div>
          <div class="act">
            <p class="state" data-testid="lamp-state" role="status" aria-live="polite">${this.stateText(snap)}</p>
            <nyala-lamp-switch
              .power=${snap.power}
              label=${s.switchLabel(lamp.name)}
              @toggle=${() => this.send(lamp, remote, 'toggle')}
            ></nyala-lamp-switch>
            <div class="buttons">
              <button class="primary" @click=${() => this.send(lamp, remote, 'on')}>${s.turnOn}</button>
              <button @click=${() => this.send(lamp, remote, 'off')}>${s.turnOff}</button>
            </div>
          </div>
        </div>
      </section>
      <details>
        <summary>${s.log}</summary>
        <nyala-message-log .entries=${snap.log}></nyala-message-log>
      </details>
      <details @toggle=${(e: Event) => (this.showQr = (e.target as HTMLDetailsElement).open)}>
        <summary>${s.pairShow}</summary>
        ${this.showQr ? html`${this.loadQr()}<nyala-pair-qr .settings=${lamp} focusOnDraw></nyala-pair-qr>` : nothing}
      </details>
      <div class="row">
        <button @click=${() => (this.editing = { lamp, isNew: false })}>${s.editSettings}</button>
        <button class="danger" @click=${() => this.askRemove(lamp.key)}>${s.removeShort}</button>
      </div>
    `;
  }

  /** A lamp known to be offline cannot hear a command (commands are never retained): say so now. */
  private send(lamp: LampSettings, remote: LampRemote, want: Power | 'toggle') {
    if (remote.snapshot.presence === 'offline') {
      this.offlineTap = lamp.key;
      return;
    }
    this.offlineTap = null;
    void (want === 'toggle' ? remote.toggle() : remote.command(want));
  }

  private askRemove(key: string) {
    if (!key) return;
    this.editing = null;
    this.selected = key;
    this.confirmRemove = key;
    void this.updateComplete.then(() => {
      const box = this.renderRoot.querySelector<HTMLElement>('[data-testid="remove-confirm"]');
      box?.scrollIntoView({ block: 'nearest' });
      box?.querySelector<HTMLElement>('button.keep')?.focus();
    });
  }

  private renderRemoveConfirm(lamp: LampSettings) {
    const s = t().remote;
    return html`<div class="confirm" role="alertdialog" aria-labelledby="remove-q" aria-describedby="remove-why" data-testid="remove-confirm">
      <p id="remove-q"><strong>${s.removeConfirm(lamp.name)}</strong></p>
      <p id="remove-why" class="hint">${s.removeExplain}</p>
      <div class="row">
        <button class="danger-solid" @click=${() => void this.removeLamp(lamp)}>${s.removeYes}</button>
        <button class="keep" @click=${() => (this.confirmRemove = null)}>${s.removeKeep}</button>
      </div>
    </div>`;
  }

  private loadQr() {
    void lazy.qr();
    return nothing;
  }

  private renderConnection(snap: RemoteSnapshot) {
    const s = t().remote;
    const c = snap.connection;
    const text = connectionText(c);
    if (c.state === 'reconnecting') {
      return html`${text}
        <button class="small" @click=${() => this.current()?.wake('online')}>${s.retryNow}</button>`;
    }
    if (c.state === 'failed') return html`${text}: ${failureText(c.reason)}`;
    return text;
  }

  private stateText(snap: RemoteSnapshot): string {
    const s = t().remote;
    switch (snap.power.state) {
      case 'on':
        return s.stateOn;
      case 'off':
        return s.stateOff;
      case 'unknown':
        return s.stateUnknown;
      case 'pending':
        return s.statePending(snap.power.want);
    }
  }

  private async confirmPairing({ lamp, carriedCredentials }: PairEventDetail) {
    // The same lamp paired again replaces the first, keeping its broker credentials unless the
    // link brought new ones (pair-confirm said so before the person agreed).
    const { findPairedLamp, mergePairedLamp } = await import('../lamp/pairing.ts');
    const existing = findPairedLamp(session.lamps, lamp);
    const toSave = existing ? mergePairedLamp(existing, lamp, carriedCredentials) : lamp;
    await session.put(toSave);
    lastSelected = toSave.key;
    noticeForNextView = existing ? t().remote.pairReplaced(existing.name) : t().remote.pairAdded(lamp.name);
    location.hash = '#/remote';
  }

  private readonly addLamp = () => {
    this.editing = { lamp: defaultSettings({ name: `${t().remote.lampStatus} ${session.lamps.length + 1}` }), isNew: true };
  };

  private async saveLamp(lamp: LampSettings) {
    await session.put(lamp);
    this.selected = lamp.key;
    this.editing = null;
  }

  private async removeLamp(lamp: LampSettings) {
    this.confirmRemove = null;
    await session.remove(lamp.key);
    this.notice = t().remote.removed(lamp.name);
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('h1')?.focus();
  }

  private renderFiles() {
    const s = t().remote;
    return html`<div class="files">
      ${session.lamps.length > 0
        ? html`<div class="export">
            <button class="small" @click=${this.exportFile}>${s.exportLamps}</button>
            <label class="check">
              <input
                type="checkbox"
                .checked=${this.exportKeys}
                aria-describedby="export-keys-hint"
                @change=${(e: Event) => (this.exportKeys = (e.target as HTMLInputElement).checked)}
              />
              ${s.exportIncludeKeys}
            </label>
            <p class="hint" id="export-keys-hint">${s.exportKeysHint}</p>
          </div>`
        : nothing}
      <label class="button small">
        ${s.importLamps}
        <input type="file" accept="application/json,.json" hidden @change=${this.importFile} />
      </label>
    </div>`;
  }

  private readonly exportFile = async () => {
    const { exportLamps } = await lazy.files();
    const blob = new Blob([exportLamps(session.lamps, { includeSecrets: false, includeKeys: this.exportKeys })], {
      type: 'application/json',
    });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'nyala-lamps.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  private readonly importFile = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const [{ importLamps }, { importIssueText }] = await Promise.all([lazy.files(), import('./settings-text.ts')]);
    const result = importLamps(await file.text());
    if (!result.ok) {
      this.notice = [t().remote.importFailed, ...result.issues.map(importIssueText)].join(' ');
      return;
    }
    for (const lamp of result.lamps) await session.put(lamp);
    this.notice = t().remote.importDone(result.lamps.length);
  };

  static override styles = [
    viewStyles,
    css`
      h2 {
        font-size: 1.15rem;
      }
      .lamps {
        display: flex;
        gap: 0.5rem;
        margin-bottom: 0.75rem;
        /* One row of tabs, scrolled sideways when there are many: a second row would push the
           switch off a phone's screen. */
        overflow-x: auto;
        padding: 3px;
      }
      .lamp-tab {
        flex: none;
        white-space: nowrap;
      }
      .lamp-tab[aria-pressed='true'] {
        border-color: var(--accent, #fca311);
        box-shadow: inset 0 -3px 0 var(--accent, #fca311);
        font-weight: 600;
      }
      .dot {
        display: inline-block;
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        margin-right: 0.4rem;
        background: var(--muted, #888);
      }
      .dot.online,
      .badge.online {
        background: #1e7a3a;
        color: #fff;
      }
      .dot.offline,
      .badge.offline {
        background: #b3261e;
        color: #fff;
      }
      .badge {
        padding: 0.1rem 0.6rem;
        border-radius: 1rem;
        background: light-dark(#e3e6ec, #2b3550);
        font-weight: 600;
      }
      .panel {
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
      }
      .status {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
        gap: 0.5rem;
        margin: 0;
      }
      .status dt {
        color: var(--muted, #666);
        font-size: 0.85rem;
      }
      .status dd {
        margin: 0;
      }
      .state {
        font-size: 1.15rem;
        font-weight: 600;
        margin: 0;
        text-align: center;
      }
      .controls {
        display: flex;
        align-items: center;
        justify-content: center;
        gap: 1.5rem;
        padding: 0.5rem 0;
      }
      .act {
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.75rem;
      }
      .seen {
        display: block;
        color: var(--muted, #666);
        font-size: 0.85rem;
        margin-top: 0.2rem;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin: 0.5rem 0;
      }
      .danger {
        color: light-dark(#b3261e, #ff8a8a);
      }
      .danger-solid {
        background: #b3261e;
        border-color: #b3261e;
        color: #fff;
        font-weight: 600;
      }
      .confirm {
        border: 2px solid light-dark(#b3261e, #ff8a8a);
        border-radius: 0.5rem;
        padding: 0.5rem 1rem;
      }
      .confirm p {
        margin: 0.25rem 0;
      }
      .callout p {
        margin: 0 0 0.5rem;
      }
      .buttons {
        display: flex;
        gap: 0.75rem;
        justify-content: center;
      }
      .buttons button {
        min-width: 7rem;
        justify-content: center;
      }
      button:disabled {
        opacity: 0.5;
        cursor: not-allowed;
      }
      .small {
        min-height: 44px;
        padding: 0.25rem 0.75rem;
      }
      details {
        margin: 0.75rem 0;
      }
      summary {
        min-height: 44px;
        display: flex;
        align-items: center;
        gap: 0.5rem;
        cursor: pointer;
        font-weight: 600;
      }
      summary::before {
        content: '▸';
      }
      details[open] > summary::before {
        content: '▾';
      }
      .files {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
        align-items: flex-start;
        margin-top: 1rem;
      }
      .export {
        display: flex;
        flex-wrap: wrap;
        gap: 0 0.75rem;
        align-items: center;
      }
      .export .hint {
        flex-basis: 100%;
        margin: 0;
        color: var(--muted, #666);
        font-size: 0.9rem;
      }
      label.check {
        display: flex;
        gap: 0.5rem;
        align-items: center;
        min-height: 44px;
      }
      .hint {
        color: var(--muted, #666);
        font-size: 0.9rem;
        margin: 0;
      }
      .callout.warning {
        border-left-color: light-dark(#c1121f, #ff8a8a);
        margin: 0.25rem 0;
      }
      /* On a phone the switch sits low on the screen, where the thumb rests; the lamp picture
         fills the space above it instead of an empty band. */
      @media (max-width: 48rem) {
        .panel {
          min-height: calc(100dvh - 19rem);
        }
        .controls {
          flex: 1;
          flex-direction: column;
          gap: 0.5rem;
        }
        .pic {
          flex: 1;
          display: flex;
          align-items: center;
        }
        /* ...and stays in view just above the bottom navigation whatever notices push the page down. */
        .act {
          position: sticky;
          bottom: calc(3.5rem + env(safe-area-inset-bottom));
          background: var(--paper, Canvas);
          padding-bottom: 0.5rem;
          width: 100%;
        }
        /* As big as the phone's spare height allows: it fills the space, not a blank band. */
        nyala-lamp-picture {
          height: clamp(5.6rem, 18dvh, 10rem);
          width: auto;
          aspect-ratio: 64 / 80;
        }
      }
      @media (max-width: 30rem) {
        .status {
          grid-template-columns: 1fr 1fr;
        }
        .status > div:last-child {
          grid-column: 1 / -1;
        }
      }
    `,
  ];
}
