import { section } from '../types.ts';

/** The board's part of the settings form (the upload). */
export const board = section(
  {
    wifi: 'Wi-Fi for the lamp',
    ssid: 'Network name (SSID)',
    ssidHint: 'The ESP only sees 2.4 GHz networks.',
    scan: 'Scan for networks',
    scanning: 'Scanning…',
    wifiPassword: 'Wi-Fi password',
    rememberWifi: 'Remember the Wi-Fi password in this browser',
    lamp: 'Lamp',
    pin: 'Lamp pin (GPIO)',
    activeLow: 'Lights when the pin is low (active-low, as the ESP8266’s on-board LED)',
    deviceId: 'Device id (six hex digits)',
    host: 'Broker host for the board',
    port: 'Broker TCP port for the board',
    hostHint: 'The board speaks plain MQTT over TCP (usually port 1883); the browser uses the WebSocket address.',
    localBroker: 'Local broker (npm start)',
  },
  {
    wifi: 'Wi-Fi untuk lampu',
    ssid: 'Nama jaringan (SSID)',
    ssidHint: 'ESP hanya melihat jaringan 2,4 GHz.',
    scan: 'Cari jaringan',
    scanning: 'Mencari…',
    wifiPassword: 'Kata sandi Wi-Fi',
    rememberWifi: 'Ingat kata sandi Wi-Fi di browser ini',
    lamp: 'Lampu',
    pin: 'Pin lampu (GPIO)',
    activeLow: 'Menyala saat pin rendah (active-low, seperti LED bawaan ESP8266)',
    deviceId: 'ID perangkat (enam digit hex)',
    host: 'Host broker untuk board',
    port: 'Port TCP broker untuk board',
    hostHint: 'Board memakai MQTT biasa lewat TCP (biasanya port 1883); browser memakai alamat WebSocket.',
    localBroker: 'Broker lokal (npm start)',
  },
);
