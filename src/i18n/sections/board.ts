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
    pinUart: (pin: number) => `GPIO${pin} is the serial port (UART0) the REPL and uploads use: a lamp there would cut the link to the board.`,
    pinFlash: (pin: number) => `GPIO${pin} is wired to the flash chip the program runs from: using it would crash the board.`,
    pinInputOnly: (pin: number) => `GPIO${pin} is input only on the ESP32: it can read a button but cannot drive a lamp.`,
    passwordInClear: (port: number) =>
      `The board speaks plain MQTT without encryption (port ${port}): this password crosses the Wi-Fi and the internet as readable text. Give the lamp a broker account of its own, used for nothing else.`,
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
    pinUart: (pin: number) => `GPIO${pin} adalah port serial (UART0) yang dipakai REPL dan unggahan: lampu di sana akan memutus sambungan ke board.`,
    pinFlash: (pin: number) => `GPIO${pin} tersambung ke chip flash tempat program berjalan: memakainya akan membuat board macet.`,
    pinInputOnly: (pin: number) => `GPIO${pin} di ESP32 hanya bisa menjadi input: bisa membaca tombol, tetapi tidak bisa menggerakkan lampu.`,
    passwordInClear: (port: number) =>
      `Board memakai MQTT biasa tanpa enkripsi (port ${port}): kata sandi ini melewati Wi-Fi dan internet sebagai teks yang bisa dibaca. Buatkan lampu akun broker sendiri yang tidak dipakai untuk hal lain.`,
  },
);
