import type { SameShape } from '../types.ts';
import type { shell as en } from '../en/shell.ts';

// Bahasa Indonesia: tsc refuses a missing key, an extra one or a message with other parameters.
export const shell: SameShape<typeof en> = {
  appName: 'Nyala',
  tagline: 'Lampu Wi-Fi untuk ESP8266 / ESP32',
  navLabel: 'Utama',
  navInstall: 'Pasang',
  navRemote: 'Remot',
  navConsole: 'Konsol',
  language: 'Bahasa',
  languageId: 'Bahasa Indonesia',
  languageEn: 'English',
  languageUnavailable: (language: string) =>
    `${language} belum ada di perangkat ini dan tidak bisa diunduh sekarang (tidak ada internet?). Coba lagi saat daring.`,
  installApp: 'Pasang aplikasi',
  installAppHint: 'Tambahkan Nyala ke layar utama; bisa dibuka tanpa internet.',
  updateReady: 'Versi baru Nyala sudah siap.',
  updateReload: 'Muat ulang sekarang',
  updateLater: 'Nanti',
  ok: 'Oke',
  updateBusy: 'Selesaikan dulu yang sedang berjalan di board; memuat ulang sekarang akan memutusnya.',
  offlineReady: 'Nyala sudah tersimpan di perangkat ini dan kini bisa dibuka tanpa internet.',
  skipToContent: 'Langsung ke isi',
  version: (id: string) => `Versi ${id}`,
  notFound: 'Halaman itu tidak ada. Menampilkan pemasang.',
  journeyWaiting: 'menunggu Anda',
  journeyFlashing: 'mem-flash',
  journeyUploading: 'mengunggah',
  journeyStarting: 'menyalakan lampu',
  journeyPercent: (n: number) => `${n} %`,
};
