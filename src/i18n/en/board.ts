/** The board's part of the settings form (the upload). */
// English: the shape the Indonesian side (../id/board.ts) must match key for key.
export const board = {
  wifi: 'Wi-Fi for the lamp',
  ssid: 'Network name (SSID)',
  ssidHint: 'The ESP only sees 2.4 GHz networks.',
  scan: 'Scan for networks',
  scanning: 'Scanning…',
  wifiPassword: 'Wi-Fi password',
  rememberWifi: 'Remember the Wi-Fi password in this browser',
  lamp: 'Lamp',
  pin: 'Lamp pin (GPIO)',
  activeLow: 'Lights when the pin is low (active-low, as the ESP8266’s on-board LED)',
  deviceId: 'Device id (six hex digits)',
  host: 'Broker host for the board',
  port: 'Broker TCP port for the board',
  hostHint: 'The board speaks plain MQTT over TCP (usually port 1883); the browser uses the WebSocket address.',
  localBroker: 'Local broker (npm start)',
  keyHint: 'Made for this lamp just now (32 hex digits, 128 random bits). It goes to the board with the upload, stays in this browser’s remote, and travels to a phone only in the pairing QR code. Whoever has it can switch the lamp.',
  pinUart: (pin: number) => `GPIO${pin} is the serial port (UART0) the REPL and uploads use: a lamp there would cut the link to the board.`,
  pinFlash: (pin: number) => `GPIO${pin} is wired to the flash chip the program runs from: using it would crash the board.`,
  pinInputOnly: (pin: number) => `GPIO${pin} is input only on the ESP32: it can read a button but cannot drive a lamp.`,
  passwordInClear: (port: number) =>
    `The board speaks plain MQTT without encryption (port ${port}): this password crosses the Wi-Fi and the internet as readable text. Give the lamp a broker account of its own, used for nothing else.`,
};
