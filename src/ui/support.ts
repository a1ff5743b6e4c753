// What this browser can do, by feature, never by browser name: Web Serial (desktop Chrome, Edge
// and Opera since 89, Firefox since 151, Chrome on Android since 148 for some adapters), WebUSB
// (Chromium browsers, Android included), and the secure page both need.

export function hasWebSerial(): boolean {
  return 'serial' in navigator;
}

export function hasWebUsb(): boolean {
  return 'usb' in navigator;
}

export function isSecurePage(): boolean {
  return window.isSecureContext;
}
