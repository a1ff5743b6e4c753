// Browser support as documented (README "Browser support" cites the sources); the app decides by
// feature (navigator.serial, navigator.usb), these words only tell a person where else to go.
// English: the shape the Indonesian side (../id/support.ts) must match key for key.
export const support = {
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
};
