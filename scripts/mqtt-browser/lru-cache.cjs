// Stands in for lru-cache, used only for MQTT 5 topic aliases (a CONNACK with topicAliasMaximum);
// Nyala connects with MQTT 3.1.1 (protocolVersion 4), whose CONNACK has no properties.
'use strict';
exports.LRUCache = class LRUCache {
  constructor() {
    throw new Error('Nyala: MQTT 5 topic aliases are not in the browser build (the remote speaks MQTT 3.1.1)');
  }
};
