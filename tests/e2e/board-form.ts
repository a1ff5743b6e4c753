// The board's settings form as the journey tests fill it: the Wi-Fi the virtual boards' access
// point has, and the test's broker (TCP for the board, WebSocket for the page).
import type { Locator } from '@playwright/test';
import type { TestBroker } from '../unit/lamp/harness.ts';

export const WIFI = { ssid: 'Rumah Suko', password: 'sooko9999' };

/** Fills Wi-Fi and broker in the install view's settings form (the Wi-Fi password given, or the right one); returns the form. */
export async function fillBoardSettings(view: Locator, broker: TestBroker, wifiPassword = WIFI.password): Promise<Locator> {
  const form = view.locator('nyala-lamp-settings-form');
  await form.getByLabel('Network name (SSID)').fill(WIFI.ssid);
  await form.getByLabel('Wi-Fi password', { exact: true }).fill(wifiPassword);
  await form.getByLabel('Broker host for the board').fill('127.0.0.1');
  await form.getByLabel('Broker TCP port for the board').fill(String(broker.tcpPort));
  await form.getByLabel('WebSocket address (for the browser)').fill(broker.wsUrl);
  return form;
}
