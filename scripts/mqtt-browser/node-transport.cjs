// Stands in for MQTT.js's tcp, tls and socks transports: a browser has no raw sockets, and
// MQTT.js itself only picks them when it is not in a browser, so reaching this is a bug.
'use strict';
function unavailable() {
  throw new Error('Nyala: MQTT over TCP/TLS/SOCKS is not in the browser build; use a ws:// or wss:// broker address');
}
module.exports = { default: unavailable, __esModule: true };
