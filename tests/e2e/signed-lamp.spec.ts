// Signed and plain lamps in the real page (the production build) against a local aedes broker: what
// the person is told about who can switch a lamp, and that a signed lamp switches only with the
// lamp's own signed answers (docs/contracts.md, "The signed lamp protocol"). The lamp is
// SignedBoard (fixtures.ts), which signs and checks with src/lamp/signing.ts as the firmware does;
// the stranger is a plain MQTT.js client on the same broker.
import type { Page } from '@playwright/test';
import { connectAsync, type MqttClient } from 'mqtt';
import { pairingHash } from '../../src/lamp/pairing.ts';
import { defaultSettings, withTutorialProtocol, type LampSettings } from '../../src/lamp/settings.ts';
import { BoardClient, TestBroker } from '../unit/lamp/harness.ts';
import { builds } from './builds.ts';
import { SignedBoard, expect, test } from './fixtures.ts';

async function startBroker(): Promise<TestBroker> {
  const broker = new TestBroker();
  await broker.start();
  return broker;
}

function lampOn(broker: TestBroker, name: string): LampSettings {
  const lamp = defaultSettings({ name, preset: 'custom' });
  lamp.broker = { ...lamp.broker, host: '127.0.0.1', port: broker.tcpPort, ws: broker.wsUrl };
  return lamp;
}

async function pair(page: Page, appUrl: string, lamp: LampSettings): Promise<void> {
  await page.goto(appUrl + pairingHash(lamp, { includeCredentials: lamp.broker.user !== '' }));
  await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
  await expect(page.getByText(`${lamp.name} was added.`)).toBeVisible();
}

/** The form's settings element, for the board form's checks (the Install view needs a board). */
async function boardForm(page: Page, change: string): Promise<void> {
  await page.evaluate((change) => {
    const view = document.querySelector('nyala-app')?.shadowRoot?.querySelector('nyala-remote-view');
    const form = view?.shadowRoot?.querySelector('nyala-lamp-settings-form') as
      | (HTMLElement & { purpose: string; settings: Record<string, unknown> })
      | null
      | undefined;
    if (!form) throw new Error('no settings form');
    form.purpose = 'board';
    // A fresh copy, so the form takes it as new settings (`change` is a small function as text).
    const next = structuredClone(form.settings);
    (new Function('s', change) as (s: Record<string, unknown>) => void)(next);
    form.settings = next;
  }, change);
}

test.describe('signed and plain lamps', () => {
  test.use({ locale: 'en-US' });

  test('the form: per-device topics are signed; choosing the tutorial preset says at once that anyone on the broker can switch the lamp', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/remote`);
    await page.getByRole('button', { name: 'Add a lamp' }).click();
    // Who can switch the lamp waits under "Advanced": a new lamp is signed without asking.
    await page.getByText('Advanced', { exact: true }).click();

    const signed = page.getByRole('button', { name: /Use this lamp’s own topics: signed/ });
    const plain = page.getByRole('button', { name: /Use the tutorial’s topics/ });
    await expect(signed).toHaveAttribute('aria-pressed', 'true');
    await expect(plain).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByTestId('signed-explain')).toContainText('only phones paired with this lamp’s key can switch it');
    await expect(page.getByTestId('plain-warning')).toHaveCount(0);
    await expect(page.getByLabel('Lamp key')).toHaveValue(/^[0-9a-f]{32}$/);

    await plain.click();
    const warning = page.getByTestId('plain-warning');
    await expect(warning).toBeVisible();
    await expect(warning).toContainText('anyone on this broker can switch this lamp and see whether it is on');
    // The sentence is a live region and describes both choices, so a screen reader hears it too.
    await expect(warning).toHaveAttribute('aria-live', 'polite');
    await expect(plain).toHaveAttribute('aria-describedby', 'protocol-explain');
    await expect(warning).toHaveAttribute('id', 'protocol-explain');
    await expect(plain).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByLabel('Command')).toHaveValue('sooko/lampu');
    await expect(page.getByLabel('Reply')).toHaveValue('loger');
    await expect(page.getByLabel('Lamp key')).toHaveCount(0);

    // Back to signed, with the keyboard: a key again, and the warning gone.
    await signed.focus();
    await page.keyboard.press('Enter');
    await expect(signed).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('plain-warning')).toHaveCount(0);
    await expect(page.getByLabel('Lamp key')).toHaveValue(/^[0-9a-f]{32}$/);
    await expect(page.getByLabel('Command')).toHaveValue(/^nyala\/[0-9a-f]{6}\/lampu$/);

    // A key that is not 32 hex digits is refused beside its field.
    await page.getByLabel('Lamp key').fill('1234');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('A lamp key is 32 hex digits (0–9, a–f).')).toBeVisible();
    await expect(page.getByLabel('Lamp key')).toBeFocused();
  });

  test('a plain lamp switches with the tutorial’s protocol, and the remote warns that anyone on the broker can switch it', async ({ page, servers }) => {
    const broker = await startBroker();
    const lamp = withTutorialProtocol(lampOn(broker, 'Sooko'));
    const fw = new BoardClient({ brokerUrl: broker.tcpUrl, topics: lamp.topics, replies: lamp.replies });
    try {
      await fw.start();
      const app = await servers.serve(builds.main);
      await page.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
      await expect(page.getByTestId('pair-auth')).toHaveText('It is a plain lamp: anyone on its broker can switch it and see whether it is on.');
      await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
      await expect(page.getByTestId('plain-warning')).toHaveText('Plain lamp: anyone on this broker can switch it and see whether it is on.');
      await expect(page.getByTestId('presence')).toHaveText('Online');
      await page.getByRole('switch', { name: 'Lamp Sooko' }).click();
      await expect(page.getByTestId('last-reply')).toContainText('“saya hidup” at');
      expect(fw.commands).toEqual(['on']);

      await page.getByText('Pair a phone').click();
      await expect(page.getByTestId('pair-qr-warning')).toHaveText('This lamp is plain: anyone on its broker can switch it, with or without this code.');
      await expect(page.getByTestId('pair-link')).not.toContainText('key=');
    } finally {
      await fw.stop();
      await broker.stop();
    }
  });

  test('a pairing link for a lamp already here says “replaces <name>” and keeps its broker credentials', async ({ page, servers }) => {
    const broker = await startBroker();
    try {
      const app = await servers.serve(builds.main);
      const lamp = lampOn(broker, 'Teras');
      lamp.broker = { ...lamp.broker, user: 'teras', password: 'rahasia' };
      await pair(page, app.url, lamp);
      await expect(page.getByRole('switch', { name: 'Lamp Teras' })).toBeVisible();

      // The same lamp again, renamed, from a link without credentials.
      const again: LampSettings = { ...lamp, name: 'Teras depan', broker: { ...lamp.broker, user: '', password: '' } };
      await page.goto(app.url + pairingHash(again, { includeCredentials: false }));
      await expect(page.getByTestId('pair-replaces')).toHaveText(
        'This replaces Teras on this device: the same lamp with new settings. Its broker user name and password are kept unless the link brings new ones.',
      );
      await expect(page.getByRole('button', { name: 'Yes, add this lamp' })).toHaveCount(0);
      await page.getByRole('button', { name: 'Yes, replace Teras' }).click();
      await expect(page.getByText('Teras was replaced.')).toBeVisible();
      await expect(page.getByRole('switch', { name: 'Lamp Teras depan' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Teras', exact: true })).toHaveCount(0);

      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('nyala.lamps.v1') ?? '{}') as { lamps: LampSettings[] });
      expect(stored.lamps.map((l) => [l.name, l.broker.user, l.broker.password])).toEqual([['Teras depan', 'teras', 'rahasia']]);
    } finally {
      await broker.stop();
    }
  });

  test('a pairing link with a damaged key is refused with the reason', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    const lamp = defaultSettings({ name: 'Rusak' });
    const hash = pairingHash(lamp, { includeCredentials: false }).replace(/key=[0-9a-f]{32}/, 'key=0123456789abcdef');
    await page.goto(app.url + hash);
    await expect(page.getByTestId('pair-invalid')).toContainText('Its key is not 32 hex digits; the link may have been cut short. Scan the QR code again.');
    await expect(page.getByRole('button', { name: 'Yes, add this lamp' })).toHaveCount(0);
  });

  test('the export leaves keys out unless ticked, and an import of such a file says which lamp lacks its key', async ({ page, browser, servers }) => {
    const app = await servers.serve(builds.main);
    const lamp = defaultSettings({ name: 'Gudang' });
    await page.goto(app.url + pairingHash(lamp, { includeCredentials: false }));
    await page.getByRole('button', { name: 'Yes, add this lamp' }).click();
    const include = page.getByRole('checkbox', { name: 'Include the lamps’ keys' });
    await expect(include).not.toBeChecked();
    await expect(page.getByText('whoever has the file can switch your signed lamps')).toBeVisible();

    const exportFile = async () => {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export lamps (JSON)' }).click();
      const path = await (await download).path();
      const { readFile } = await import('node:fs/promises');
      return readFile(path, 'utf8');
    };
    const withoutKeys = await exportFile();
    if (lamp.auth.mode !== 'signed') throw new Error('a new lamp is signed');
    expect(withoutKeys).not.toContain(lamp.auth.key);
    await include.check();
    expect(await exportFile()).toContain(lamp.auth.key);

    const other = await browser.newContext({ locale: 'en-US' });
    try {
      const p = await other.newPage();
      await p.goto(`${app.url}#/remote`);
      await p.locator('nyala-app').getByText('Import lamps').locator('input[type=file]').setInputFiles({
        name: 'nyala-lamps.json',
        mimeType: 'application/json',
        buffer: Buffer.from(withoutKeys),
      });
      await expect(p.getByText('Gudang is a signed lamp, but the file has no key for it.')).toBeVisible();
    } finally {
      await other.close();
    }
  });

  test('the board form: each pin that would cut the REPL or the flash is refused with why, per chip; a broker password is said to cross the network in clear', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/remote`);
    await page.getByRole('button', { name: 'Add a lamp' }).click();
    await expect(page.getByLabel('Name', { exact: true })).toBeVisible();
    const cases = [
      { chip: 'esp8266', pin: 1, why: 'GPIO1 is the serial port (UART0) the REPL and uploads use: a lamp there would cut the link to the board.' },
      { chip: 'esp8266', pin: 3, why: 'GPIO3 is the serial port (UART0)' },
      { chip: 'esp8266', pin: 8, why: 'GPIO8 is wired to the flash chip the program runs from: using it would crash the board.' },
      { chip: 'esp32', pin: 11, why: 'GPIO11 is wired to the flash chip' },
      { chip: 'esp32', pin: 36, why: 'GPIO36 is input only on the ESP32: it can read a button but cannot drive a lamp.' },
    ];
    for (const c of cases) {
      await boardForm(page, `s.chip = ${JSON.stringify(c.chip)}; s.lamp = { pin: ${c.pin}, activeLow: false }; s.wifi = { ssid: 'Suko', password: '' };`);
      await expect(page.getByLabel('Lamp pin (GPIO)')).toHaveValue(String(c.pin));
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByLabel('Lamp pin (GPIO)')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByText(c.why)).toBeVisible();
    }
    // The board form's key is the new lamp's, and says where it goes.
    await expect(page.getByLabel('Lamp key')).toHaveValue(/^[0-9a-f]{32}$/);
    await expect(page.getByText('Made for this lamp just now')).toBeVisible();

    await expect(page.getByTestId('password-in-clear')).toHaveCount(0);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill('rahasia');
    await expect(page.getByTestId('password-in-clear')).toContainText('this password crosses the Wi-Fi and the internet as readable text');
    await expect(page.getByTestId('password-in-clear')).toContainText('port 1883');
    await password.fill('');
    await expect(page.getByTestId('password-in-clear')).toHaveCount(0);

    // GPIO2 on an ESP32 is fine: the form saves.
    await page.getByLabel('Lamp pin (GPIO)').fill('2');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('switch', { name: 'Lamp Lamp 1' })).toBeVisible();
  });
});

test.describe('in Bahasa Indonesia', () => {
  test.use({ locale: 'id-ID' });

  test('choosing the tutorial preset says that anyone on the broker can switch the lamp', async ({ page, servers }) => {
    const app = await servers.serve(builds.main);
    await page.goto(`${app.url}#/remote`);
    await page.getByRole('button', { name: 'Tambah lampu' }).click();
    await page.getByText('Lanjutan', { exact: true }).click();
    await expect(page.getByTestId('signed-explain')).toContainText('hanya ponsel yang dipasangkan dengan kunci lampu ini');
    await page.getByRole('button', { name: /Pakai topik tutorial/ }).click();
    await expect(page.getByTestId('plain-warning')).toContainText('siapa pun di broker ini bisa menyalakan dan mematikan lampu ini');
  });
});

test.describe('a signed lamp', () => {
  test.use({ locale: 'en-US' });

  test('a phone paired with a version 2 link switches the lamp; the switch confirms only with the lamp’s signed reply', async ({ page, browser, servers }) => {
    const broker = await startBroker();
    const lamp = lampOn(broker, 'Kamar');
    const board = new SignedBoard({ brokerUrl: broker.tcpUrl, lamp });
    let stranger: MqttClient | undefined;
    try {
      await board.start();
      stranger = await connectAsync(broker.tcpUrl, { clientId: 'stranger' });
      // The stranger records the lamp's retained state, to replay it once it is old.
      const s = stranger;
      const recordedState = new Promise<string>((resolve) => s.once('message', (_topic, payload) => resolve(payload.toString())));
      await stranger.subscribeAsync(lamp.topics.state);
      const app = await servers.serve(builds.main);
      await pair(page, app.url, lamp);
      await expect(page.getByTestId('plain-warning')).toHaveCount(0);
      await page.getByText('Pair a phone').click();
      await expect(page.getByTestId('pair-qr-warning')).toHaveText(
        'Whoever scans this code or gets this link can switch the lamp: it carries the lamp’s key. Show it only to people who may.',
      );
      const link = await page.getByTestId('pair-link').innerText();
      expect(link).toContain('#/pair?v=2&');
      expect(link).toMatch(/[?&]key=[0-9a-f]{32}(&|$)/);

      // The phone: a fresh browser with nothing stored.
      const phone = await browser.newContext({ locale: 'en-US' });
      try {
        const p = await phone.newPage();
        await p.goto(link);
        await expect(p.getByTestId('pair-auth')).toHaveText('It carries the lamp’s key: whoever has this link can switch the lamp. Do not pass it on.');
        await p.getByRole('button', { name: 'Yes, add this lamp' }).click();
        const sw = p.getByRole('switch', { name: 'Lamp Kamar' });
        await expect(p.getByTestId('presence')).toHaveText('Online');
        await expect(p.getByTestId('lamp-state')).toHaveText('The lamp is off');

        // The lamp takes the command but answers only when released; meanwhile a stranger
        // answers for it, plain and with a made-up MAC, and claims the state is on.
        board.hold();
        await sw.click();
        await board.whenValidCommands(1);
        const { reply, state } = lamp.topics;
        await stranger.publishAsync(reply, 'saya hidup');
        await stranger.publishAsync(reply, `saya hidup 0123456789abcdef ${'0'.repeat(64)}`);
        await stranger.publishAsync(state, 'on', { retain: true });
        await expect(p.getByTestId('ignored')).toContainText('3 messages ignored');
        await expect(p.getByTestId('lamp-state')).toHaveText('Sending “on”, waiting for the lamp…');
        await expect(p.getByTestId('last-reply')).toHaveText('No answer yet');

        board.release();
        await expect(p.getByTestId('last-reply')).toContainText('“saya hidup” at');
        await expect(sw).toHaveAttribute('aria-checked', 'true');
        await expect(p.getByTestId('lamp-state')).toHaveText('The lamp is on');
        expect(board.applied).toEqual(['on']);

        // The lamp's own "off" state from before the command, replayed, and a payload too big.
        await stranger.publishAsync(state, await recordedState);
        await stranger.publishAsync(reply, 'x'.repeat(300));
        await expect(p.getByTestId('ignored')).toContainText('5 messages ignored');
        await expect(p.getByTestId('lamp-state')).toHaveText('The lamp is on');

        // The log says what was ignored and why; the key is never in it.
        await p.getByText('Message log', { exact: true }).click();
        const log = p.getByRole('list', { name: 'Message log' });
        await expect(log).toContainText(`${reply}`);
        await expect(log).toContainText('not signed with this lamp’s key');
        await expect(log).toContainText('not in the signed format');
        await expect(log).toContainText('an old message of the lamp, replayed');
        await expect(log).toContainText(`${reply} ignored (300 B): too big`);
        if (lamp.auth.mode !== 'signed') throw new Error('a new lamp is signed');
        expect(await log.innerText()).not.toContain(lamp.auth.key);

        // The laptop sees the lamp on too, from the lamp's signed state.
        await expect(page.getByRole('switch', { name: 'Lamp Kamar' })).toHaveAttribute('aria-checked', 'true');
        // And the phone switches it off again.
        await p.getByRole('button', { name: 'Off', exact: true }).click();
        await expect(p.getByTestId('last-reply')).toContainText('saya mati');
        expect(board.applied).toEqual(['on', 'off']);
      } finally {
        await phone.close();
      }
    } finally {
      await stranger?.endAsync(true);
      await board.stop();
      await broker.stop();
    }
  });
});
