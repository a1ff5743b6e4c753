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
  },
);
