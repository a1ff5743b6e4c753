// The Remote in the real page (the production build) against a local aedes broker over ws, with
// an independent MQTT.js client answering as the firmware does (a signed lamp, as every new lamp
// is: SignedBoard in fixtures.ts); both started here on free ports. Plain lamps and what the page
// says about who can switch a lamp are in signed-lamp.spec.ts.
import { devices, type Page } from '@playwright/test';
import { pairingHash } from '../../src/lamp/pairing.ts';
import { defaultSettings, type LampSettings } from '../../src/lamp/settings.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { builds } from './builds.ts';
import { SignedBoard, expect, test } from './fixtures.ts';

interface Lab {
  broker: TestBroker;
  fw: SignedBoard;
  lamp: LampSettings;
  stop(): Promise<void>;
}

async function startLab(options: { name?: string; delayMs?: number } = {}): Promise<Lab> {
  const broker = new TestBroker();
  await broker.start();
  const lamp = defaultSettings({ name: options.name ?? 'Teras', preset: 'custom' });
  lamp.broker = { ...lamp.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  const fw = new SignedBoard({ brokerUrl: broker.tcpUrl, lamp, delayMs: options.delayMs });
  await fw.start();
  return {
    broker,
    fw,
    lamp,
    async stop() {
      await fw.stop();
      await broker.stop();
    },
  };
}

async function pairThroughLink(page: Page, appUrl: string, lamp: LampSettings): Promise<void> {
  await page.goto(appUrl + pairingHash(lamp, { includeCredentials: false }));
  await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
  await expect(page.getByText(`${lamp.name} was added.`)).toBeVisible();
  expect(page.url()).toMatch(/#\/remote$/);
}

test.describe('the remote', () => {
  test.use({ locale: 'en-US' });

  test('toggle → pending → the board’s answer is shown; Off → “saya mati”', async ({ page, servers }) => {
    const lab = await startLab();
    try {
      const app = await servers.serve(builds.main);
      await pairThroughLink(page, app.url, lab.lamp);
      await expect(page.getByTestId('connection')).toHaveText('Connected');
      await expect(page.getByTestId('presence')).toHaveText('Online');

      const sw = page.getByRole('switch', { name: 'Lamp Teras' });
      await expect(sw).toHaveAttribute('aria-checked', 'false');
      await sw.click();
      await expect(page.getByTestId('last-reply')).toContainText('“saya hidup” at');
      await expect(sw).toHaveAttribute('aria-checked', 'true');
      await expect(page.getByTestId('lamp-state')).toHaveText('The lamp is on');

      await page.getByRole('button', { name: 'Off', exact: true }).click();
      await expect(page.getByTestId('last-reply')).toContainText('saya mati');
      await expect(sw).toHaveAttribute('aria-checked', 'false');
      expect(lab.fw.applied).toEqual(['on', 'off']);

      // The log shows both directions with timestamps.
      await page.getByText('Message log').click();
      const log = page.getByRole('list', { name: 'Message log' });
      await expect(log).toContainText(`→ ${lab.lamp.topics.command} on`);
      await expect(log).toContainText(`← ${lab.lamp.topics.reply} saya hidup`);
      await expect(log.locator('li').first()).toHaveText(/^\d\d:\d\d:\d\d /);
    } finally {
      await lab.stop();
    }
  });

  test('a command while the broker is down is shown as not sent, and is not delivered when it is back', async ({ page, servers }) => {
    const lab = await startLab();
    try {
      const app = await servers.serve(builds.main);
      await pairThroughLink(page, app.url, lab.lamp);
      await expect(page.getByTestId('presence')).toHaveText('Online');

      await lab.broker.stop();
      await expect(page.getByTestId('connection')).toHaveAttribute('data-state', /reconnecting|connecting/);
      await page.getByRole('button', { name: 'On', exact: true }).click();
      await expect(page.getByTestId('outcome')).toContainText('Not sent');
      await expect(page.getByRole('switch')).toHaveAttribute('aria-busy', 'false');

      await lab.broker.start();
      await lab.fw.whenReady(2);
      // The page's "network is back" signal makes it try at once instead of waiting out the backoff.
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await expect(page.getByTestId('connection')).toHaveText('Connected');
      await expect(page.getByTestId('presence')).toHaveText('Online');
      // "Not sent: no connection" no longer holds once connected: it is gone, not left beside Online.
      await expect(page.getByTestId('outcome')).toHaveCount(0);
      await page.getByRole('button', { name: 'Off', exact: true }).click();
      await expect(page.getByTestId('last-reply')).toContainText('saya mati');
      expect(lab.fw.applied).toEqual(['off']);
    } finally {
      await lab.stop();
    }
  });

  test('a pairing link adds the lamp after a confirmation, and it is still there after a reload', async ({ page, servers }) => {
    const lab = await startLab({ name: 'Dapur & teras #2 💡' });
    try {
      const app = await servers.serve(builds.main);
      await page.goto(app.url + pairingHash(lab.lamp, { includeCredentials: false }));
      // Nothing is added until the person says so.
      await expect(page.getByRole('heading', { name: 'Add this lamp?' })).toBeVisible();
      await expect(page.getByText(lab.lamp.topics.command)).toBeVisible();
      expect(await page.evaluate(() => localStorage.getItem('nyala.lamps.v1'))).toBeNull();
      await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
      await expect(page.getByRole('button', { name: 'Dapur & teras #2 💡' })).toBeVisible();
      await expect(page.getByTestId('presence')).toHaveText('Online');

      await page.reload();
      await expect(page.getByRole('switch', { name: 'Lamp Dapur & teras #2 💡' })).toBeVisible();
      await expect(page.getByTestId('presence')).toHaveText('Online');
    } finally {
      await lab.stop();
    }
  });

  test('“Pair a phone” draws a QR code (its code loads only then) whose link adds the lamp on another device', async ({ page, browser, servers }) => {
    const lab = await startLab({ name: 'Kamar' });
    try {
      const app = await servers.serve(builds.main);
      const scripts: string[] = [];
      page.on('request', (r) => {
        if (r.resourceType() === 'script') scripts.push(r.url());
      });
      await pairThroughLink(page, app.url, lab.lamp);
      await expect(page.getByTestId('presence')).toHaveText('Online');
      expect(scripts.filter((u) => /pair-qr-[^/]*\.js$/.test(u))).toEqual([]);

      await page.getByText('Pair a phone').click();
      const qr = page.getByRole('img', { name: 'QR code with the pairing link' });
      await expect(qr).toBeVisible();
      expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
      expect(scripts.some((u) => /pair-qr-[^/]*\.js$/.test(u))).toBe(true);
      const link = await page.getByTestId('pair-link').innerText();
      expect(link).toContain('#/pair?v=2&');
      expect(link).not.toContain('password');

      // The phone: a fresh browser with nothing stored.
      const phone = await browser.newContext({ locale: 'en-US' });
      try {
        const p = await phone.newPage();
        await p.goto(link);
        await p.getByRole('button', { name: 'Yes, add this lamp' }).click();
        await expect(p.getByRole('switch', { name: 'Lamp Kamar' })).toBeVisible();
        await expect(p.getByTestId('presence')).toHaveText('Online');
        await p.getByRole('switch', { name: 'Lamp Kamar' }).click();
        await expect(p.getByTestId('last-reply')).toContainText('saya hidup');
        // The laptop sees the same lamp switch on, from the retained state.
        await expect(page.getByRole('switch', { name: 'Lamp Kamar' })).toHaveAttribute('aria-checked', 'true');
      } finally {
        await phone.close();
      }
    } finally {
      await lab.stop();
    }
  });

  test('a lamp added by the form: a wildcard topic is refused beside its field, then it works', async ({ page, servers }) => {
    const lab = await startLab();
    try {
      const app = await servers.serve(builds.main);
      await page.goto(`${app.url}#/remote`);
      await page.getByRole('button', { name: 'Add a lamp' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Garasi');
      await page.getByLabel('Broker', { exact: true }).selectOption('custom');
      await expect(page.getByText('This is a public broker')).toHaveCount(0);
      await page.getByLabel('WebSocket address (for the browser)').fill(lab.broker.wsUrl);
      // Topics wait under "Advanced"; a problem there opens it again, beside the field, focused.
      const advanced = page.getByText('Advanced', { exact: true });
      await advanced.click();
      await page.getByLabel('Command').fill('nyala/+/lampu');
      await advanced.click();
      await expect(page.getByLabel('Command')).toBeHidden();
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByText('“+” is a wildcard; a topic for one lamp cannot contain it.')).toBeVisible();
      await expect(page.getByLabel('Command')).toBeFocused();

      // A lamp added by hand needs the key its board was given.
      if (lab.lamp.auth.mode !== 'signed') throw new Error('a new lamp is signed');
      await page.getByLabel('Lamp key').fill(lab.lamp.auth.key);
      await page.getByLabel('Command').fill(lab.lamp.topics.command);
      await page.getByLabel('Reply').fill(lab.lamp.topics.reply);
      await page.getByLabel('Status').fill(lab.lamp.topics.status);
      await page.getByLabel('State').fill(lab.lamp.topics.state);
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByRole('switch', { name: 'Lamp Garasi' })).toBeVisible();
      await expect(page.getByTestId('presence')).toHaveText('Online');
      await page.getByRole('button', { name: 'On', exact: true }).click();
      await expect(page.getByTestId('last-reply')).toContainText('saya hidup');
      expect(lab.fw.applied).toEqual(['on']);
    } finally {
      await lab.stop();
    }
  });

  test('the Content-Security-Policy blocks injected inline scripts', async ({ page, servers }) => {
    // (That it lets the page reach a broker over ws:// is what the toggle test above shows.)
    const app = await servers.serve(builds.main);
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (d: string) => violations.push(d));
    await page.goto(`${app.url}#/remote`);
    const result = await page.evaluate(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportViolation: (d: string) => void }).reportViolation(e.violatedDirective),
      );
      const script = document.createElement('script');
      script.textContent = '(window).__injected = true;';
      document.body.append(script);
      return { injected: (window as unknown as { __injected?: boolean }).__injected ?? false };
    });
    expect(result).toEqual({ injected: false });
    await expect.poll(() => violations).toContain('script-src-elem');
  });

  test('a pairing link with a wildcard topic is refused with the reason', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    const lamp = defaultSettings({ name: 'Jahil' });
    lamp.topics.command = 'nyala/#';
    await page.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
    const refusal = page.getByTestId('pair-invalid');
    await expect(refusal).toContainText('cannot be used');
    await expect(refusal).toContainText('“#” is a wildcard');
    await expect(page.getByRole('button', { name: 'Yes, add this lamp' })).toHaveCount(0);
  });
});

// Pixel 7's viewport, scale and touch, in the Chromium every test uses.
const { defaultBrowserType: _browser, ...pixel7 } = devices['Pixel 7']!;

test.describe('the remote on a phone', () => {
  test.use({ ...pixel7, locale: 'en-US' });

  test('the switch is big, within thumb reach, and shows pending in the frame after a tap', async ({ page, servers }) => {
    // The board takes a while to answer, so "pending" has time to be seen.
    const lab = await startLab({ delayMs: 800 });
    try {
      const app = await servers.serve(builds.main);
      await pairThroughLink(page, app.url, lab.lamp);
      await expect(page.getByTestId('presence')).toHaveText('Online');

      const sw = page.getByRole('switch', { name: 'Lamp Teras' });
      const box = await sw.boundingBox();
      const viewport = page.viewportSize();
      const nav = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
      if (!box || !viewport || !nav) throw new Error('no layout');
      expect(box.width).toBeGreaterThanOrEqual(48);
      expect(box.height).toBeGreaterThanOrEqual(48);
      // Thumb reach: in the lower half of the screen, fully visible above the bottom navigation,
      // without scrolling.
      expect(box.y + box.height / 2).toBeGreaterThan(viewport.height / 2);
      expect(box.y + box.height).toBeLessThanOrEqual(nav.y);
      const onButton = await page.getByRole('button', { name: 'On', exact: true }).boundingBox();
      expect(onButton && onButton.y + onButton.height).toBeLessThanOrEqual(nav.y);
      expect(await page.evaluate(() => window.scrollY)).toBe(0);

      // Record what the switch shows in the first animation frame after the tap.
      await page.evaluate(() => {
        const w = window as unknown as { frameAfterTap: Promise<{ busy: string | null; state: string | undefined }> };
        w.frameAfterTap = new Promise((resolve) => {
          document.addEventListener(
            'click',
            () =>
              requestAnimationFrame(() => {
                const view = document.querySelector('nyala-app')?.shadowRoot?.querySelector('nyala-remote-view');
                const button = view?.shadowRoot?.querySelector('nyala-lamp-switch')?.shadowRoot?.querySelector('button');
                resolve({ busy: button?.getAttribute('aria-busy') ?? null, state: button?.dataset.state });
              }),
            { capture: true, once: true },
          );
        });
      });
      await sw.tap();
      const seen = await page.evaluate(() => (window as unknown as { frameAfterTap: Promise<unknown> }).frameAfterTap);
      expect(seen).toEqual({ busy: 'true', state: 'pending' });
      await expect(page.getByTestId('lamp-state')).toHaveText('Sending “on”, waiting for the lamp…');
      await expect(page.getByTestId('last-reply')).toContainText('saya hidup');
      await expect(sw).toHaveAttribute('aria-busy', 'false');
    } finally {
      await lab.stop();
    }
  });
});
