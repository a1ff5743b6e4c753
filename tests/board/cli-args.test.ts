import { describe, expect, it } from 'vitest';
import { CliError, parseCliArgs } from './cli-args.ts';

describe('npm run board arguments', () => {
  it('reads every option, with the defaults for those not given', () => {
    expect(parseCliArgs(['--rfc2217', '4000'])).toEqual({ chip: 'esp8266', rfc2217: 4000, accessPoints: [], micropython: false, nativeUsb: false });
    expect(parseCliArgs(['--rfc2217', '0', '--chip', 'esp32c3'])).toMatchObject({ chip: 'esp32c3', nativeUsb: false });
    expect(parseCliArgs(['--rfc2217', '0', '--chip', 'esp32s3', '--native-usb'])).toMatchObject({ chip: 'esp32s3', nativeUsb: true });
    expect(
      parseCliArgs([
        '--chip', 'esp32', '--rfc2217', '0', '--flash-size', '16MB', '--flash-file', 'fw.bin@0x1000',
        '--mac', '24:0a:c4:00:00:01', '--wifi', 'Suko:pass:word', '--wifi', 'Open', '--micropython',
      ]),
    ).toEqual({
      chip: 'esp32',
      rfc2217: 0,
      flashSize: '16MB',
      flashFile: { path: 'fw.bin', offset: 0x1000 },
      mac: '24:0a:c4:00:00:01',
      // The SSID ends at the first colon; an open network has an empty password.
      accessPoints: [
        { ssid: 'Suko', password: 'pass:word' },
        { ssid: 'Open', password: '' },
      ],
      micropython: true,
      nativeUsb: false,
    });
  });

  it.each([
    [[], /--rfc2217 PORT is required/],
    [['--rfc2217', '70000'], /TCP port/],
    [['--rfc2217', 'x'], /TCP port/],
    [['--rfc2217', '0', '--chip', 'esp8285'], /esp8266, esp32, esp32c3 or esp32s3/],
    [['--rfc2217', '0', '--chip', 'esp32', '--native-usb'], /--native-usb is for --chip esp32s3/],
    [['--rfc2217', '0', '--flash-size', '4 gigs'], /4MB or 512KB/],
    [['--rfc2217', '0', '--mac', 'nope'], /aa:bb:cc:dd:ee:ff/],
    [['--rfc2217', '0', '--wifi', ':secret'], /SSID/],
    [['--rfc2217', '0', '--flash-file', 'fw.bin@'], /offset/],
    [['--rfc2217', '0', '--baud', '9600'], /baud/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
