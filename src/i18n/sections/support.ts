import { section } from '../types.ts';

export const support = section(
  {
    noSerialTitle: 'This browser cannot reach a USB board',
    noSerialBody:
      'Flashing and the serial console need Web Serial, which desktop Chrome, Edge and Opera have (version 89 or newer). Firefox and Safari do not, and neither do browsers on iPhone.',
    noSerialRemote: 'The remote works in every modern browser, phones included.',
    openRemote: 'Open the remote',
    usbOtg: 'This browser has WebUSB: boards with a CH340 chip or Espressif’s own USB (ESP32-S2, S3, C3) can still be flashed over a USB-OTG cable. CP210x and FTDI boards need a computer.',
    insecureTitle: 'Open Nyala over https',
    insecureBody: 'Web Serial only works on a secure page (https:// or localhost).',
  },
  {
    noSerialTitle: 'Browser ini tidak bisa menjangkau board lewat USB',
    noSerialBody:
      'Flash dan konsol serial butuh Web Serial, yang ada di Chrome, Edge dan Opera desktop (versi 89 atau lebih baru). Firefox dan Safari tidak punya, begitu juga browser di iPhone.',
    noSerialRemote: 'Remote bisa dipakai di semua browser modern, termasuk di ponsel.',
    openRemote: 'Buka remote',
    usbOtg: 'Browser ini punya WebUSB: board dengan chip CH340 atau USB bawaan Espressif (ESP32-S2, S3, C3) tetap bisa di-flash lewat kabel USB-OTG. Board CP210x dan FTDI butuh komputer.',
    insecureTitle: 'Buka Nyala lewat https',
    insecureBody: 'Web Serial hanya jalan di halaman aman (https:// atau localhost).',
  },
);
