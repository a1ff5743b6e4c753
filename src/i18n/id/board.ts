import type { SameShape } from '../types.ts';
import type { board as en } from '../en/board.ts';

/** The board's part of the settings form (the upload). */
// Bahasa Indonesia: tsc refuses a missing key, an extra one or a message with other parameters.
export const board: SameShape<typeof en> = {
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
  keyHint: 'Dibuat untuk lampu ini barusan (32 digit heksadesimal, 128 bit acak). Kunci ini ikut ke board saat diunggah, tetap di remote browser ini, dan sampai ke ponsel hanya lewat kode QR pemasangan. Siapa pun yang memegangnya bisa menyalakan lampu.',
  pinUart: (pin: number) => `GPIO${pin} adalah port serial (UART0) yang dipakai REPL dan unggahan: lampu di sana akan memutus sambungan ke board.`,
  pinFlash: (pin: number) => `GPIO${pin} tersambung ke chip flash tempat program berjalan: memakainya akan membuat board macet.`,
  pinInputOnly: (pin: number) => `GPIO${pin} di ESP32 hanya bisa menjadi input: bisa membaca tombol, tetapi tidak bisa menggerakkan lampu.`,
  passwordInClear: (port: number) =>
    `Board memakai MQTT biasa tanpa enkripsi (port ${port}): kata sandi ini melewati Wi-Fi dan internet sebagai teks yang bisa dibaca. Buatkan lampu akun broker sendiri yang tidak dipakai untuk hal lain.`,
};
