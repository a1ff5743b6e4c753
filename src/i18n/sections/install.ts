import { section } from '../types.ts';

export const install = section(
  {
    title: 'Install MicroPython and the lamp program',
    intro:
      'Plug the ESP8266 or ESP32 into this computer with a data USB cable. Nyala flashes MicroPython, uploads the lamp program with your settings, and then becomes its remote.',
    stepConnect: 'Connect the board',
    stepFlash: 'Flash MicroPython',
    stepSettings: 'Wi-Fi and broker settings',
    stepUpload: 'Upload the lamp program',
    stepsLabel: 'Steps',
    serialAsk:
      'When you press Connect, the browser asks which port Nyala may use. Some browsers, Firefox among them, first ask whether this site may use serial devices at all.',
    usbFallbackWhy:
      'Board not in the list? On Android, Web Serial does not see every USB adapter; WebUSB reaches boards with a CH340 chip or Espressif’s own USB (ESP32-S2, S3, C3).',
    usbFallback: 'Use WebUSB instead',
  },
  {
    title: 'Pasang MicroPython dan program lampu',
    intro:
      'Colokkan ESP8266 atau ESP32 ke komputer ini dengan kabel USB data. Nyala memasang MicroPython, mengunggah program lampu beserta pengaturan Anda, lalu menjadi remote-nya.',
    stepConnect: 'Sambungkan board',
    stepFlash: 'Flash MicroPython',
    stepSettings: 'Pengaturan Wi-Fi dan broker',
    stepUpload: 'Unggah program lampu',
    stepsLabel: 'Langkah',
    serialAsk:
      'Saat Anda menekan Sambungkan, browser menanyakan port mana yang boleh dipakai Nyala. Sebagian browser, misalnya Firefox, lebih dulu menanyakan apakah situs ini boleh memakai perangkat serial.',
    usbFallbackWhy:
      'Board tidak ada di daftar? Di Android, Web Serial tidak melihat semua adaptor USB; WebUSB bisa menjangkau board dengan chip CH340 atau USB bawaan Espressif (ESP32-S2, S3, C3).',
    usbFallback: 'Pakai WebUSB saja',
  },
);
