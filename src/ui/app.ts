// <nyala-app>: the shell. Header (title, language, install), the three views chosen by the URL
// hash, the navigation (at the bottom on a phone, within thumb reach), and the update prompt.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { LocaleController, lang, localeLoaded, setLang, t } from './locale.ts';
import { hrefFor, parseHash, type Route, type ViewName } from './router.ts';
import { applyUpdate, onPwaChange, promptInstall, pwaState } from './pwa.ts';
import { journeyStatus, onJourneyChange, type JourneyStatus } from './journey-status.ts';
import { hasWebSerial } from './support.ts';
import { visuallyHidden } from './view-styles.ts';
import type { Lang } from '../i18n/index.ts';
import './remote-view.ts';

// The installer and the console pull in esptool-js and xterm: load them only when opened, so a
// phone that only wants the remote never downloads them.
const LAZY_VIEWS: Partial<Record<ViewName, { tag: string; load: () => Promise<unknown> }>> = {
  install: { tag: 'nyala-install-view', load: () => import('./install-view.ts') },
  console: { tag: 'nyala-console-view', load: () => import('./console-view.ts') },
};

const NAV: readonly { view: ViewName; label: () => string }[] = [
  { view: 'install', label: () => t().shell.navInstall },
  { view: 'remote', label: () => t().shell.navRemote },
  { view: 'console', label: () => t().shell.navConsole },
];

@customElement('nyala-app')
export class NyalaApp extends LitElement {
  private readonly locale = new LocaleController(this);
  @state() private route: Route = this.currentRoute();
  @state() private offlineNoted = false;
  /** A language the person chose that could not be fetched (offline before it was ever loaded). */
  @state() private langUnavailable: Lang | null = null;
  /** "Later": the new version is used at the next start, when the waiting worker takes over. */
  @state() private updateDismissed = false;
  private offPwa?: () => void;
  private offJourney?: () => void;

  private readonly onHashChange = () => {
    const previous = this.route.view;
    this.route = this.currentRoute();
    // Move focus to the new view's heading so a screen reader announces where the person is.
    if (previous !== this.route.view) void this.updateComplete.then(() => this.focusView());
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    this.offPwa = onPwaChange(() => this.requestUpdate());
    this.offJourney = onJourneyChange(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
    this.offPwa?.();
    this.offJourney?.();
  }

  /** Nothing is drawn until the page's language has loaded (locale.ts); it tells us then. */
  protected override shouldUpdate(changed: Map<PropertyKey, unknown>): boolean {
    return localeLoaded() && super.shouldUpdate(changed);
  }

  private currentRoute(): Route {
    // Without Web Serial (phones, Firefox, Safari) the remote is what the person can use.
    return parseHash(window.location.hash, hasWebSerial() ? 'install' : 'remote');
  }

  private readonly skipToMain = (e: Event) => {
    // The hash is the router's; move focus without touching it.
    e.preventDefault();
    void this.focusView();
  };

  private async focusView(): Promise<void> {
    // Each view renders in its own shadow root; its first heading has tabindex="-1" for this.
    const view = this.renderRoot.querySelector('main > *');
    if (!view) return;
    await customElements.whenDefined(view.localName);
    await (view as Partial<LitElement>).updateComplete;
    view.shadowRoot?.querySelector<HTMLElement>('h1')?.focus();
  }

  override render() {
    const s = t().shell;
    const pwa = pwaState();
    const active = this.route.view === 'pair' ? 'remote' : this.route.view;
    return html`
      <header>
        <!-- The href is this view's own hash, not #main: checkers (axe, Lighthouse) look for a skip
             link's target in the document, and <main> is inside this shadow root. Inside the
             banner, as every piece of the page belongs to a landmark. -->
        <a class="skip" href=${hrefFor(active)} @click=${this.skipToMain}>${s.skipToContent}</a>
        <a class="brand" href=${hrefFor(hasWebSerial() ? 'install' : 'remote')}>
          <img src=${`${import.meta.env.BASE_URL}nyala.svg`} alt="" width="32" height="32" />
          <span><strong>${s.appName}</strong><small>${s.tagline}</small></span>
        </a>
        <div class="tools">
          ${pwa.canInstall
            ? html`<button class="install" title=${s.installAppHint} @click=${() => void promptInstall()}>
                ${s.installApp}
              </button>`
            : nothing}
          <label class="lang">
            <span class="visually-hidden">${s.language}</span>
            <select
              aria-label=${s.language}
              .value=${lang()}
              @change=${(e: Event) => void this.switchLang(e.target as HTMLSelectElement)}
            >
              <!-- A compact label (ID / EN); each option's accessible name is the language's own name. -->
              <option value="id" lang="id" aria-label=${s.languageId} title=${s.languageId} ?selected=${lang() === 'id'}>ID</option>
              <option value="en" lang="en" aria-label=${s.languageEn} title=${s.languageEn} ?selected=${lang() === 'en'}>EN</option>
            </select>
          </label>
        </div>
      </header>
      <nav aria-label=${s.navLabel}>
        ${NAV.map(
          (n) => html`<a href=${hrefFor(n.view)} aria-current=${n.view === active ? 'page' : 'false'}>${n.label()}${n.view === 'install' ? this.renderJourney(journeyStatus()) : nothing}</a>`,
        )}
      </nav>
      ${this.route.unknown ? html`<p class="notice" role="status">${s.notFound}</p>` : nothing}
      ${this.langUnavailable
        ? html`<p class="notice" role="status">${s.languageUnavailable(this.langUnavailable === 'id' ? s.languageId : s.languageEn)}</p>`
        : nothing}
      ${pwa.updateWaiting && pwa.updateOffered && !this.updateDismissed
        ? html`<div class="update" role="alert" data-testid="update-prompt">
            <span>${pwa.busy ? s.updateBusy : s.updateReady}</span>
            <span>
              <button class="primary" ?disabled=${pwa.busy} @click=${() => void applyUpdate()}>${s.updateReload}</button>
              <button @click=${() => (this.updateDismissed = true)}>${s.updateLater}</button>
            </span>
          </div>`
        : nothing}
      <main id="main">${this.renderView()}</main>
      ${pwa.offlineReady && !this.offlineNoted
        ? html`<p class="notice toast" role="status">
            <span>${s.offlineReady}</span>
            <button @click=${() => (this.offlineNoted = true)}>${s.ok}</button>
          </p>`
        : nothing}
      <footer><small data-testid="build-id">${s.version(__NYALA_BUILD_ID__)}</small></footer>
    `;
  }

  /** The other language is fetched the first time it is chosen; offline that can fail. */
  private async switchLang(select: HTMLSelectElement): Promise<void> {
    const wanted = select.value as Lang;
    const ok = await setLang(wanted);
    this.langUnavailable = ok ? null : wanted;
    if (!ok) select.value = lang();
  }

  /** The install journey's progress beside "Install", wherever the person is. */
  private renderJourney(j: Readonly<JourneyStatus>) {
    if (!j.running || j.phase === 'none') return nothing;
    const s = t().shell;
    const word =
      j.phase === 'flashing' ? s.journeyFlashing
      : j.phase === 'uploading' ? s.journeyUploading
      : j.phase === 'starting' ? s.journeyStarting
      : s.journeyWaiting;
    return html`<small class="journey" data-testid="nav-journey" data-writing=${j.writing ? 'true' : 'false'}
      >${word}${j.percent !== undefined ? ` · ${s.journeyPercent(j.percent)}` : ''}</small
    >`;
  }

  private renderView() {
    void LAZY_VIEWS[this.route.view]?.load();
    switch (this.route.view) {
      case 'install':
        return html`<nyala-install-view></nyala-install-view>`;
      case 'remote':
        return html`<nyala-remote-view></nyala-remote-view>`;
      case 'pair':
        return html`<nyala-remote-view .pairParams=${this.route.params}></nyala-remote-view>`;
      case 'console':
        return html`<nyala-console-view></nyala-console-view>`;
    }
  }

  static override styles = [
    visuallyHidden,
    css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100dvh;
      --accent: #fca311;
      --ink: light-dark(#14213d, #f2f2f2);
      --paper: light-dark(#ffffff, #10172a);
      --muted: light-dark(#5b6475, #a9b1c3);
      --line: light-dark(#d9dde5, #2b3550);
      color: var(--ink);
      background: var(--paper);
      color-scheme: light dark;
    }
    header {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 0.5rem;
      padding: 0.5rem 1rem;
      border-bottom: 1px solid var(--line);
    }
    .brand {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      color: inherit;
      text-decoration: none;
    }
    .brand span {
      display: flex;
      flex-direction: column;
    }
    .brand small {
      color: var(--muted);
    }
    .tools {
      display: flex;
      gap: 0.5rem;
      align-items: center;
    }
    select,
    button {
      font: inherit;
      min-height: 44px;
    }
    /* The language switch: a compact pill, its arrow drawn inline (no icon font). */
    .lang select {
      appearance: none;
      min-height: 36px;
      padding: 0.25rem 1.9rem 0.25rem 0.75rem;
      border: 1px solid var(--line);
      border-radius: 999px;
      background: var(--paper)
        url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='6'%3E%3Cpath d='M0 0l5 6 5-6z' fill='%23888'/%3E%3C/svg%3E")
        no-repeat right 0.75rem center;
      color: inherit;
      font-size: 0.9rem;
      max-width: 11rem;
      cursor: pointer;
    }
    /* Arrives after the page has settled (the service worker is ready): below the view, so it
       neither pushes the view down (a layout shift) nor covers a control. */
    .notice.toast {
      margin-bottom: 4.5rem;
    }
    main {
      flex: 1;
      padding: 1rem;
      max-width: 48rem;
      width: 100%;
      box-sizing: border-box;
      margin: 0 auto;
    }
    /* On a phone the navigation sits at the bottom, within reach of a thumb. */
    nav {
      display: flex;
      position: fixed;
      left: 0;
      right: 0;
      bottom: 0;
      z-index: 10;
      border-top: 1px solid var(--line);
      background: var(--paper);
      padding-bottom: env(safe-area-inset-bottom);
    }
    main {
      padding-bottom: 5rem;
    }
    .skip {
      position: absolute;
      left: -999px;
    }
    .skip:focus {
      left: 1rem;
      top: 0.5rem;
      z-index: 20;
      background: var(--paper);
      padding: 0.5rem;
    }
    nav a {
      flex: 1;
      text-align: center;
      padding: 0.9rem 0.5rem;
      min-height: 48px;
      box-sizing: border-box;
      color: inherit;
      text-decoration: none;
      font-weight: 600;
    }
    nav a small.journey {
      display: block;
      font-weight: 400;
      color: var(--muted);
    }
    nav a[aria-current='page'] {
      box-shadow: inset 0 4px 0 var(--accent);
    }
    a:focus-visible,
    button:focus-visible,
    select:focus-visible {
      outline: 3px solid var(--accent);
      outline-offset: 2px;
    }
    footer {
      text-align: center;
      color: var(--muted);
      padding: 0.25rem;
    }
    .update,
    .notice {
      margin: 0.5rem 1rem;
      padding: 0.5rem 1rem;
      border: 1px solid var(--accent);
      border-radius: 0.5rem;
      display: flex;
      gap: 1rem;
      align-items: center;
      justify-content: space-between;
      flex-wrap: wrap;
    }
    /* On a wide screen the navigation sits under the header, where desktop people look for it. */
    @media (min-width: 48rem) {
      main {
        padding-bottom: 1rem;
      }
      .notice.toast {
        margin-bottom: 0.5rem;
      }
      nav {
        position: static;
        border-top: none;
        border-bottom: 1px solid var(--line);
        justify-content: center;
      }
      nav a {
        flex: 0 1 10rem;
      }
    }
  `,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'nyala-app': NyalaApp;
  }
}
