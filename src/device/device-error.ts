// The one error shape of the device layer: a code a view can switch on (and turn into a sentence
// in either language) and the raw detail for "Details". Each part of the layer (port, stream,
// REPL, flasher, uploader, firmware, the install routine) narrows `code` to its own union, so a
// caller can tell where an error came from by its class and what to do about it by its code,
// never by reading the message text.

export abstract class DeviceError<C extends string = string> extends Error {
  constructor(
    /** the class's name; spelled out because a minified build renames classes */
    name: string,
    readonly code: C,
    readonly detail = '',
    message = `${code}${detail ? `: ${detail}` : ''}`,
  ) {
    super(message);
    this.name = name;
  }
}

/** Any device-layer error, whatever its part. */
export function isDeviceError(err: unknown): err is DeviceError {
  return err instanceof DeviceError;
}

/** What an unknown thrown value says about itself, for a detail line (never to decide on). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
