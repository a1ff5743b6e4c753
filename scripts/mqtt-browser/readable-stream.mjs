// Stands in for readable-stream's entry: MQTT.js and bl use only its stream classes (Readable,
// Writable, Duplex, Transform); the entry also loads the stream operators (map, filter, …),
// compose, pipeline and stream/promises, which nothing in MQTT.js's graph calls.
export { default as Readable } from 'readable-stream/lib/internal/streams/readable.js';
export { default as Writable } from 'readable-stream/lib/internal/streams/writable.js';
export { default as Duplex } from 'readable-stream/lib/internal/streams/duplex.js';
export { default as Transform } from 'readable-stream/lib/internal/streams/transform.js';
export { default as PassThrough } from 'readable-stream/lib/internal/streams/passthrough.js';
