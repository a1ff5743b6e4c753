// Stands in for the debug package: MQTT.js and mqtt-packet only log through it, and a phone has
// nobody to read those logs (the remote shows its own connection states).
'use strict';
function off() {}
off.enabled = false;
module.exports = function debug() {
  return off;
};
