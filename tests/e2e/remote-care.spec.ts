// What issue 17 asks of the Remote that a person sees: a command to a lamp known to be offline is
// refused at once and the alert goes when the lamp is back; an offline lamp says when it was last
// seen; removing a lamp asks in the page first; the QR code is brought into view and focused.
// Against a local aedes broker and a SignedBoard (fixtures.ts), both on free ports.
import { pairingHash } from '../../src/lamp/pairing.ts';
import { defaultSettings, type LampSettings } from '../../src/lamp/settings.ts';
import { TestBroker } from '../unit/lamp/harness.ts';
import { builds } from './builds.ts';
import { SignedBoard, expect, test } from './fixtures.ts';
import type { Page } from '@playwright/test';

async function lab(name = 'Teras') {
  const broker = new TestBroker();
  await broker.start();
  const lamp = defaultSettings({ name, preset: 'custom' });
  lamp.broker = { ...lamp.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  let fw = new SignedBoard({ brokerUrl: broker.tcpUrl, lamp });
  await fw.start();
  return {
    broker,
    lamp,
    get fw() {
      return fw;
    },
    /** the board drops off without a goodbye: the broker publishes its last will (offline) */
    async unplug() {
      await fw.stop();
    },
    async plugIn() {
      fw = new SignedBoard({ brokerUrl: broker.tcpUrl, lamp });
      await fw.start();
    },
    async stop() {
      await fw.stop();
      await broker.stop();
    },
  };
}

async function pair(page: Page, url: string, lamp: LampSettings) {
  await page.goto(url + pairingHash(lamp, { includeCredentials: false }));
  await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
  await expect(page.getByTestId('presence')).toHaveText('Online');
}

test.describe('the remote, when things go wrong', () => {
  test.use({ locale: 'en-US' });

  test('a command to an offline lamp says so at once; the alert goes when the lamp is back', async ({ page, servers }) => {
    const l = await lab();
    try {
      const app = await servers.serve(builds.main);
      await pair(page, app.url, l.lamp);
      await l.unplug();
      await expect(page.getByTestId('presence')).toHaveText('Offline');
      await expect(page.getByTestId('last-seen')).toContainText('last seen');

      const sentBefore = await page.evaluate(() => performance.now());
      await page.getByRole('button', { name: 'On', exact: true }).click();
      const outcome = page.getByTestId('outcome');
      // At once: not after the command timeout (8 s), and nothing was sent.
      await expect(outcome).toHaveText(/Not sent: Teras is offline/, { timeout: 1_000 });
      const shownAfter = await page.evaluate((t0) => performance.now() - t0, sentBefore);
      expect(shownAfter).toBeLessThan(8_000);
      await expect(page.getByRole('switch')).toHaveAttribute('aria-busy', 'false');

      await l.plugIn();
      await expect(page.getByTestId('presence')).toHaveText('Online');
      await expect(outcome).toHaveCount(0);
      await expect(page.getByTestId('last-seen')).toHaveCount(0);
      await page.getByRole('button', { name: 'On', exact: true }).click();
      await expect(page.getByTestId('last-reply')).toContainText('saya hidup');
      expect(l.fw.applied).toEqual(['on']);
    } finally {
      await l.stop();
    }
  });

  test('a lamp offline for long says since when and offers to remove it; removal asks in the page', async ({ page, servers }) => {
    const l = await lab('Gudang');
    try {
      const app = await servers.serve(builds.main);
      await pair(page, app.url, l.lamp);
      await l.unplug();
      // Two days ago is when this device last heard it.
      const twoDaysAgo = Date.now() - 2 * 24 * 3600_000;
      await page.evaluate((at) => {
        // The page's own key for the lamp (pairing gives each saved lamp one).
        const saved = JSON.parse(localStorage.getItem('nyala.lamps.v1') ?? '{}') as { lamps?: Array<{ key: string }> };
        localStorage.setItem('nyala.lastSeen.v1', JSON.stringify({ [saved.lamps?.[0]?.key ?? '']: at }));
      }, twoDaysAgo);
      await page.reload();
      await expect(page.getByTestId('presence')).toHaveText('Offline');
      const long = page.getByTestId('long-offline');
      await expect(long).toContainText('Gudang has been offline since');

      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await long.getByRole('button', { name: 'Remove this lamp' }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Remove Gudang from this device?' });
      await expect(confirm).toBeVisible();
      await expect(confirm.getByRole('button', { name: 'Keep it' })).toBeFocused();
      await confirm.getByRole('button', { name: 'Keep it' }).click();
      await expect(confirm).toHaveCount(0);
      await expect(page.getByRole('switch', { name: 'Lamp Gudang' })).toBeVisible();

      // The normal action, from the lamp's own buttons.
      await page.getByRole('button', { name: 'Remove', exact: true }).click();
      await confirm.getByRole('button', { name: 'Yes, remove' }).click();
      await expect(page.getByText('Gudang was removed.')).toBeVisible();
      await expect(page.getByRole('switch')).toHaveCount(0);
      expect(await page.evaluate(() => localStorage.getItem('nyala.lamps.v1') ?? '')).not.toContain('Gudang');
      expect(dialogs).toBe(0);
    } finally {
      await l.stop();
    }
  });

  test('the QR code is brought into view and focused when opened', async ({ page, servers }) => {
    const l = await lab();
    try {
      await page.setViewportSize({ width: 412, height: 700 });
      const app = await servers.serve(builds.main);
      await pair(page, app.url, l.lamp);
      await page.getByText('Pair a phone').click();
      const qr = page.getByRole('img', { name: 'QR code with the pairing link' });
      await expect(qr).toBeFocused();
      await expect(qr).toBeInViewport({ ratio: 1 });
      // The page is served from 127.0.0.1: the link says a phone cannot reach it.
      await expect(page.getByTestId('pair-localhost')).toContainText('a phone cannot reach');
    } finally {
      await l.stop();
    }
  });
});

test.describe('the settings form on a 360 px phone', () => {
  test.use({ locale: 'en-US', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test('the board form (Wi-Fi, broker, name) fits in two screens; the rest waits under Advanced; scan results can be picked', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/remote`);
    await page.getByRole('button', { name: 'Add a lamp' }).click();
    // The upload's use of the same form: Wi-Fi and the board's broker endpoint on top, networks seen.
    await page.evaluate(() => {
      const view = document.querySelector('nyala-app')?.shadowRoot?.querySelector('nyala-remote-view');
      const form = view?.shadowRoot?.querySelector('nyala-lamp-settings-form') as (HTMLElement & { purpose: string; networks: string[] }) | null | undefined;
      if (!form) throw new Error('no settings form');
      form.purpose = 'board';
      form.networks = ['Rumah', 'Kantor-2G'];
    });
    const form = page.locator('nyala-lamp-settings-form');
    await expect(form.getByLabel('Network name (SSID)')).toBeVisible();
    await form.getByRole('group', { name: 'Networks the board sees' }).getByRole('button', { name: 'Kantor-2G' }).click();
    await expect(form.getByLabel('Network name (SSID)')).toHaveValue('Kantor-2G');
    await expect(form.getByLabel('Lamp pin (GPIO)')).toBeHidden();
    const box = await form.boundingBox();
    expect(box && box.height).toBeLessThanOrEqual(2 * 740);
  });
});

test.describe('in Bahasa Indonesia', () => {
  test.use({ locale: 'id-ID' });

  test('badges, times and the offline refusal in Indonesian', async ({ page, servers }) => {
    const l = await lab();
    try {
      const app = await servers.serve(builds.main);
      await page.goto(app.url + pairingHash(l.lamp, { includeCredentials: false }));
      await page.getByRole('button', { name: 'Ya, tambahkan lampu ini' }).click();
      await expect(page.getByTestId('presence')).toHaveText('Daring');
      await page.getByRole('button', { name: 'Nyalakan', exact: true }).click();
      // 18.03.05 in Indonesian: dots, no milliseconds.
      await expect(page.getByTestId('last-reply')).toHaveText(/“saya hidup” pukul \d\d\.\d\d\.\d\d\s*$/);
      await l.unplug();
      await expect(page.getByTestId('presence')).toHaveText('Luring');
      await page.getByRole('button', { name: 'Nyalakan', exact: true }).click();
      await expect(page.getByTestId('outcome')).toContainText('Tidak terkirim: Teras sedang luring');
    } finally {
      await l.stop();
    }
  });
});
