// Stands in for Node's url module, whose only use in MQTT.js is url.parse(brokerUrl) in
// connect(): src/lamp/remote.ts passes an options object parsed with the WHATWG URL, so it is skipped.
'use strict';
exports.parse = function parse() {
  throw new Error('Nyala: mqtt.connect() was given a URL string; pass { protocol, hostname, port, path } (src/lamp/remote.ts brokerOptions)');
};
