import type { SameShape } from '../types.ts';
import type { support as en } from '../en/support.ts';

// Browser support as documented (README "Browser support" cites the sources); the app decides by
// feature (navigator.serial, navigator.usb), these words only tell a person where else to go.
// Bahasa Indonesia: tsc refuses a missing key, an extra one or a message with other parameters.
export const support: SameShape<typeof en> = {
  noSerialTitle: 'Browser ini tidak bisa menjangkau board lewat USB',
  noSerialBody:
    'Flash dan konsol serial butuh Web Serial atau WebUSB, dan browser ini tidak punya keduanya. Web Serial ada di Chrome, Edge dan Opera desktop (versi 89 atau lebih baru), Firefox desktop (151 atau lebih baru, setelah Anda izinkan) dan Chrome di Android (148 atau lebih baru, untuk sebagian adaptor USB). Safari dan semua browser di iPhone dan iPad tidak punya keduanya.',
  noSerialRemote: 'Remote bisa dipakai di semua browser modern, termasuk di ponsel.',
  openRemote: 'Buka remote',
  usbOnlyTitle: 'Flash lewat WebUSB',
  usbOtg:
    'Browser ini punya WebUSB tetapi tidak punya Web Serial: board dengan chip CH340 atau USB bawaan Espressif (ESP32-S2, S3, C3) tetap bisa di-flash, lewat kabel USB-OTG di ponsel.',
  usbOnlyOthers:
    'Board dengan chip CP210x atau FTDI butuh Web Serial, yang ada di Chrome, Edge dan Opera desktop (89+) dan Firefox desktop (151+); Chrome di Android punya sejak versi 148 untuk sebagian adaptor.',
  insecureTitle: 'Buka Nyala lewat https',
  insecureBody: 'Web Serial dan WebUSB hanya jalan di halaman aman (https:// atau localhost).',
};
