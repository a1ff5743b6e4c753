// What this browser can do. Web Serial is desktop Chrome/Edge/Opera only and needs a secure page.

export function hasWebSerial(): boolean {
  return 'serial' in navigator;
}

export function isSecurePage(): boolean {
  return window.isSecureContext;
}
