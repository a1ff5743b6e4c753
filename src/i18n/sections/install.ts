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
    detecting: 'Finding out what is on the board…',
    noMicroPython: (code: string) => `MicroPython did not answer (${code}), so Nyala asks the board’s bootloader.`,
    checkingImage: 'Checking the firmware against the board…',
    resetting: 'Restarting the board into MicroPython…',
    waitingForPort: 'The board restarted; its USB port is coming back…',
    choosePortAgainTitle: 'Choose the board’s port again',
    choosePortAgainBody:
      'This board talks through the chip’s own USB, which disconnects when the board restarts and comes back as a new port. The browser needs you to choose it once more: press the button and pick the port named “USB JTAG/serial debug unit” (or the board’s name).',
    choosePortAgain: 'Choose the port',
    details: 'Details',
    cancelledNothing: 'Cancelled. Nothing on the board was changed.',
    cancelledSettings: 'Cancelled. MicroPython is on the board; connect again to upload the lamp program.',
    startOver: 'Start over',
    scanFailed: (why: string) => `The board could not scan for networks (${why}). Type the network’s name instead.`,
    noCatalog: 'The list of built-in firmware could not be loaded; choose your own .bin file.',
    elsewhere: 'Install is running: come back here any time to see it.',
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
    detecting: 'Mencari tahu isi board…',
    noMicroPython: (code: string) => `MicroPython tidak menjawab (${code}), jadi Nyala bertanya ke bootloader board.`,
    checkingImage: 'Mencocokkan firmware dengan board…',
    resetting: 'Menyalakan ulang board ke MicroPython…',
    waitingForPort: 'Board menyala ulang; port USB-nya sedang muncul kembali…',
    choosePortAgainTitle: 'Pilih lagi port board',
    choosePortAgainBody:
      'Board ini tersambung lewat USB bawaan chip-nya, yang terputus saat board menyala ulang lalu muncul sebagai port baru. Browser meminta Anda memilihnya sekali lagi: tekan tombol lalu pilih port bernama “USB JTAG/serial debug unit” (atau nama board-nya).',
    choosePortAgain: 'Pilih port',
    details: 'Rincian',
    cancelledNothing: 'Dibatalkan. Tidak ada yang berubah di board.',
    cancelledSettings: 'Dibatalkan. MicroPython sudah ada di board; sambungkan lagi untuk mengunggah program lampu.',
    startOver: 'Mulai lagi',
    scanFailed: (why: string) => `Board tidak bisa mencari jaringan (${why}). Ketik saja nama jaringannya.`,
    noCatalog: 'Daftar firmware bawaan gagal dimuat; pilih berkas .bin Anda sendiri.',
    elsewhere: 'Pemasangan sedang berjalan: kembali ke sini kapan saja untuk melihatnya.',
  },
);
