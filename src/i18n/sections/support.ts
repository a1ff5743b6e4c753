import { section } from '../types.ts';

// Browser support as documented (README "Browser support" cites the sources); the app decides by
// feature (navigator.serial, navigator.usb), these words only tell a person where else to go.
export const support = section(
  {
    noSerialTitle: 'This browser cannot reach a USB board',
    noSerialBody:
      'Flashing and the serial console need Web Serial or WebUSB, and this browser has neither. Web Serial is in desktop Chrome, Edge and Opera (89 or newer), desktop Firefox (151 or newer, after you allow it) and Chrome on Android (148 or newer, for some USB adapters). Safari and every browser on iPhone and iPad have neither.',
    noSerialRemote: 'The remote works in every modern browser, phones included.',
    openRemote: 'Open the remote',
    usbOnlyTitle: 'Flashing over WebUSB',
    usbOtg:
      'This browser has WebUSB but not Web Serial: boards with a CH340 chip or Espressif’s own USB (ESP32-S2, S3, C3) can still be flashed, over a USB-OTG cable on a phone.',
    usbOnlyOthers:
      'Boards with a CP210x or FTDI chip need Web Serial, which desktop Chrome, Edge and Opera (89+) and desktop Firefox (151+) have; Chrome on Android has it from 148 for some adapters.',
    insecureTitle: 'Open Nyala over https',
    insecureBody: 'Web Serial and WebUSB only work on a secure page (https:// or localhost).',
  },
  {
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
  },
);
