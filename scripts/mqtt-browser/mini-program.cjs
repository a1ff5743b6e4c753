// Stands in for MQTT.js's WeChat (wx) and Alipay (ali) mini-program transports: MQTT.js registers
// them in a browser but calls them only for wx:// or ali:// addresses, which Nyala never makes.
'use strict';
function unavailable() {
  throw new Error('Nyala: MQTT.js mini-program transports (wx, ali) are not in the browser build');
}
module.exports = { default: unavailable, __esModule: true };
