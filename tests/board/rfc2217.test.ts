// The RFC 2217 server in front of a real virtual board, driven by pyserial's own rfc2217://
// client (Debian's python3-serial) and, where the exact bytes matter, by a bare telnet client;
// then `npm run board`, the command that serves a board that way.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBoard, testImage, type Board } from './index.ts';
import { CONTROL, CPO, PURGE, startRfc2217Server, type Rfc2217Server } from './rfc2217.ts';
import { DO, IAC, OPT_BINARY, OPT_ECHO, OPT_SGA, WILL, WONT, negotiation } from './telnet.ts';
import { REPO_ROOT, exitOf, lineMatching, requirePyserial, runPyserialClient } from './fixtures/processes.ts';
import { RawTelnetClient } from './fixtures/telnet-client.ts';

// The ROM's SYNC answer (esptool docs, "Serial Protocol"): response 0x01, command 0x08, two data
// bytes, the value 0x20120707 the ROM echoes back, then status 0 and error 0.
const SYNC_REPLY = '01' + '08' + '0200' + '07071220' + '0000';

// A Python process per test, and for the CLI npm, tsx and a board starting on a machine whose two
// cores the other test files share: generous bounds, each still a bound.
const PYSERIAL_TIMEOUT = 60_000;
const CLI_TIMEOUT = 120_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function boardOf(options: Parameters<typeof createBoard>[0]): Board {
  const board = createBoard(options);
  cleanups.push(() => board.close());
  return board;
}

async function serverFor(board: Board): Promise<Rfc2217Server> {
  const server = await startRfc2217Server({ port: board.port, signature: 'Nyala test board' });
  cleanups.push(() => server.close());
  return server;
}

describe('RFC 2217 server with pyserial', () => {
  beforeAll(() => requirePyserial());

  it('resets the board into download mode, reads its boot line at 74880 and gets SYNC answered', { timeout: PYSERIAL_TIMEOUT }, async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const server = await serverFor(board);

    const report = await runPyserialClient(['download', server.url]);

    expect(report.opened_baud).toBe(74880);
    // pyserial reads CTS from the server's NOTIFY-MODEMSTATE and raises if none came.
    expect(report.cts).toBe(false);
    // The ESP8266 ROM's banner with the download strapping (GPIO0 low): boot mode (1,x).
    expect(report.boot).toMatch(/ets Jan {2}8 2013,rst cause:2, boot mode:\(1,\d\)/);
    expect(report.sync_baud).toBe(115200);
    expect(report.sync_replies).toContain(SYNC_REPLY);
    expect(board.state).toBe('download');
  });

  it('changes the board port baud on SET-BAUDRATE: the same boot line read at 115200 is garbage', { timeout: PYSERIAL_TIMEOUT }, async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const server = await serverFor(board);

    const report = await runPyserialClient(['download', server.url, '115200']);

    expect(report.opened_baud).toBe(115200);
    const boot = String(report.boot);
    expect(boot.length).toBeGreaterThan(10);
    expect(boot).not.toContain('boot mode');
    // Still in download mode, and SYNC (sent at 115200 either way) is still answered.
    expect(report.sync_replies).toContain(SYNC_REPLY);
  });

  it('carries every byte value, 0xFF (IAC) included, both ways through the running application', { timeout: PYSERIAL_TIMEOUT }, async () => {
    // A valid image in flash: the board boots it and the echo application answers on the UART.
    const board = boardOf({ chip: 'esp8266', timeScale: 1, flashImage: testImage('esp8266') });
    await board.waitForState('app', 10_000);
    const server = await serverFor(board);

    const report = await runPyserialClient(['echo', server.url, '115200']);

    expect(report.received).toBe(report.sent);
    expect(String(report.sent)).toContain('ffff');
  });
});

describe('RFC 2217 server, byte by byte', () => {
  it('negotiates BINARY, SGA and COM-PORT-OPTION, refuses ECHO, and answers every com-port command', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const server = await serverFor(board);
    const client = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => client.close());

    const offered = (verb: number, option: number) => (e: { kind: string; verb?: number; option?: number }) =>
      e.kind === 'negotiate' && e.verb === verb && e.option === option;
    for (const [verb, option] of [
      [WILL, OPT_BINARY],
      [DO, OPT_BINARY],
      [WILL, OPT_SGA],
      [DO, OPT_SGA],
      [WILL, 44],
    ] as const) {
      await client.waitFor(offered(verb, option), 5000, `server's ${verb === WILL ? 'WILL' : 'DO'} ${option}`);
    }
    client.send(negotiation(DO, OPT_ECHO));
    await client.waitFor(offered(WONT, OPT_ECHO), 5000, 'WONT ECHO');
    // The client agrees to the com-port option: the server tells it the modem lines at once.
    client.send(negotiation(WILL, 44));
    expect(await client.answer(CPO.NOTIFY_MODEMSTATE)).toEqual([0]);

    client.command(CPO.SIGNATURE);
    expect(Buffer.from(await client.answer(CPO.SIGNATURE)).toString()).toBe('Nyala test board');

    // 65535 baud is 00 00 FF FF: the FFs go doubled both ways, and the decoder reads them back.
    client.send(Uint8Array.of(IAC, 250, 44, CPO.SET_BAUDRATE, 0, 0, IAC, IAC, IAC, IAC, IAC, 240));
    expect(await client.answer(CPO.SET_BAUDRATE)).toEqual([0, 0, 255, 255]);
    client.command(CPO.SET_BAUDRATE, 0, 0, 0, 0); // 0 asks for the value in use
    expect(await client.answer(CPO.SET_BAUDRATE)).toEqual([0, 0, 255, 255]);
    client.command(CPO.SET_BAUDRATE, 0, 1, 0xc2, 0);
    expect(await client.answer(CPO.SET_BAUDRATE)).toEqual([0, 1, 0xc2, 0]);

    // The UART frame is 8N1: other requests are answered with it, which is how RFC 2217 refuses.
    client.command(CPO.SET_DATASIZE, 7);
    expect(await client.answer(CPO.SET_DATASIZE)).toEqual([8]);
    client.command(CPO.SET_PARITY, 3);
    expect(await client.answer(CPO.SET_PARITY)).toEqual([1]);
    client.command(CPO.SET_STOPSIZE, 2);
    expect(await client.answer(CPO.SET_STOPSIZE)).toEqual([1]);

    client.command(CPO.SET_CONTROL, CONTROL.REQ_DTR);
    expect(await client.answer(CPO.SET_CONTROL)).toEqual([CONTROL.DTR_ON]);
    client.command(CPO.SET_CONTROL, CONTROL.DTR_OFF);
    expect(await client.answer(CPO.SET_CONTROL)).toEqual([CONTROL.DTR_OFF]);
    client.command(CPO.SET_CONTROL, CONTROL.REQ_DTR);
    expect(await client.answer(CPO.SET_CONTROL)).toEqual([CONTROL.DTR_OFF]);
    client.command(CPO.SET_CONTROL, CONTROL.FLOW_HARDWARE);
    expect(await client.answer(CPO.SET_CONTROL)).toEqual([CONTROL.FLOW_NONE]);

    client.command(CPO.SET_MODEMSTATE_MASK, 0x30);
    expect(await client.answer(CPO.SET_MODEMSTATE_MASK)).toEqual([0x30]);
    client.command(CPO.SET_LINESTATE_MASK, 0x60);
    expect(await client.answer(CPO.SET_LINESTATE_MASK)).toEqual([0x60]);
    client.command(CPO.NOTIFY_MODEMSTATE);
    expect(await client.answer(CPO.NOTIFY_MODEMSTATE)).toEqual([0]);
    client.command(CPO.PURGE_DATA, PURGE.BOTH);
    expect(await client.answer(CPO.PURGE_DATA)).toEqual([PURGE.BOTH]);
  });

  it('holds a DTR raise out of reset for the RTS drop that follows, and applies it alone when none comes', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const server = await serverFor(board);
    const client = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => client.close());
    client.command(CPO.SET_BAUDRATE, 0, 1, 0x24, 0x40); // 74880
    await client.answer(CPO.SET_BAUDRATE);

    client.command(CPO.SET_CONTROL, CONTROL.DTR_OFF);
    await client.answer(CPO.SET_CONTROL);
    client.command(CPO.SET_CONTROL, CONTROL.RTS_ON);
    await client.answer(CPO.SET_CONTROL);
    expect(board.state).toBe('reset'); // RTS alone pulls EN low

    client.command(CPO.SET_CONTROL, CONTROL.DTR_ON);
    expect(await client.answer(CPO.SET_CONTROL)).toEqual([CONTROL.DTR_ON]);
    // Acknowledged, yet the chip is still held: the raise waits for an RTS drop.
    expect(board.state).toBe('reset');
    // None comes: the raise alone releases EN with IO0 high, a normal boot (no image: bricked).
    await board.waitForState('bricked', 5000);
  });

  it('serves one client at a time, and a dropped client frees the board for the next', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const server = await serverFor(board);
    const first = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => first.close());
    first.command(CPO.SET_BAUDRATE, 0, 1, 0xc2, 0);
    await first.answer(CPO.SET_BAUDRATE);

    const second = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => second.close());
    await second.waitClosed(5000);

    first.close();
    await server.whenIdle();
    const third = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => third.close());
    third.command(CPO.SET_BAUDRATE, 0, 1, 0xc2, 0);
    expect(await third.answer(CPO.SET_BAUDRATE)).toEqual([0, 1, 0xc2, 0]);
  });

  it('drops the client when the board is unplugged, and serves it again after replug', async () => {
    const board = boardOf({ chip: 'esp8266', timeScale: 1 });
    const errors: unknown[] = [];
    const server = await startRfc2217Server({ port: board.port, onError: (e) => errors.push(e) });
    cleanups.push(() => server.close());
    const client = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => client.close());
    client.command(CPO.SET_BAUDRATE, 0, 1, 0xc2, 0);
    await client.answer(CPO.SET_BAUDRATE);

    board.faults.unplug();
    await client.waitClosed(5000);
    expect(errors.map((e) => (e instanceof Error ? e.name : String(e)))).toContain('NetworkError');

    board.faults.replug();
    const again = await RawTelnetClient.open(server.tcpPort);
    cleanups.push(() => again.close());
    again.command(CPO.SET_BAUDRATE, 0, 1, 0xc2, 0);
    expect(await again.answer(CPO.SET_BAUDRATE)).toEqual([0, 1, 0xc2, 0]);
  });
});

describe('npm run board', () => {
  beforeAll(() => requirePyserial());

  it('prints one ready line, serves a board pyserial can SYNC with, and exits cleanly when interrupted', { timeout: CLI_TIMEOUT }, async () => {
    // Its own process group, so the interrupt reaches npm and everything under it, as Ctrl-C does.
    const child = spawn('npm', ['run', 'board', '--', '--chip', 'esp8266', '--rfc2217', '0'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group === undefined) throw new Error('npm did not start');
    cleanups.push(() => {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    });

    const { match, stdout } = await lineMatching(child, /^ready rfc2217:\/\/127\.0\.0\.1:(\d+)\n/m, 60_000, 'npm run board');
    const port = Number(match[1]);
    expect(port).toBeGreaterThan(0);

    const report = await runPyserialClient(['download', `rfc2217://127.0.0.1:${port}`]);
    expect(report.boot).toMatch(/boot mode:\(1,\d\)/);
    expect(report.sync_replies).toContain(SYNC_REPLY);

    const exited = exitOf(child, 15_000, 'npm run board');
    process.kill(-group, 'SIGINT');
    await exited;
    await expect(groupGone(group, 15_000)).resolves.toBe(true);
    // Besides npm's own banner (lines starting with "> "), the board printed exactly one line.
    const own = stdout()
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('> '));
    expect(own).toEqual([`ready rfc2217://127.0.0.1:${port}`]);
    await expect(refused(port)).resolves.toBe(true);
  });

  it('serves MicroPython with the given Wi-Fi on an ESP32, and exits 0 on SIGTERM', { timeout: CLI_TIMEOUT }, async () => {
    const args = ['--rfc2217', '0', '--chip', 'esp32', '--flash-size', '4MB', '--micropython', '--wifi', 'Suko:rahasia:123'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/board/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    const { match } = await lineMatching(child, /^ready rfc2217:\/\/127\.0\.0\.1:(\d+)\n/m, 60_000, 'board cli');
    const url = `rfc2217://127.0.0.1:${match[1]}`;

    // The generated image went to the ESP32's boot offset and boots into MicroPython, which sees
    // the access point given on the command line (the password keeps its colon).
    const code = 'import sys, network; w = network.WLAN(network.STA_IF); w.active(True); print(sys.platform, [ap[0] for ap in w.scan()])';
    const report = await runPyserialClient(['repl', url, code]);
    expect(report.output).toContain("esp32 [b'Suko']");

    const exited = exitOf(child, 15_000, 'board cli');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(refused(Number(match[1]))).resolves.toBe(true);
  });
});

/** True once no process of the group is left (bounded). */
async function groupGone(group: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-group, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    // No event tells when the last process of a group has gone; look again shortly.
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when nothing listens on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('npm run board -- --chip esp32c3: its USB-Serial-JTAG through RFC 2217', () => {
  beforeAll(() => requirePyserial());

  it("esptool's USB-JTAG reset reaches the ROM, which names the chip; after the hard reset the new port serves MicroPython", { timeout: CLI_TIMEOUT }, async () => {
    const args = ['--rfc2217', '0', '--chip', 'esp32c3', '--micropython'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/board/cli.ts', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    const { match } = await lineMatching(child, /^ready rfc2217:\/\/127\.0\.0\.1:(\d+)\n/m, 60_000, 'board cli');
    const url = `rfc2217://127.0.0.1:${match[1]}`;

    // DTR/RTS changes reach the USB-Serial-JTAG as on USB: download mode, the ROM's USB reset cause.
    const report = await runPyserialClient(['usb', url]);
    expect(report.boot).toMatch(/ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb {2}7 2021\r\nrst:0x15 \(USB_UART_CHIP_RESET\),boot:0x5 \(DOWNLOAD\(USB\/UART0\/1\)\)/);
    expect(report.sync_replies).toContain('01080200' + '07071220' + '0000');
    // GET_SECURITY_INFO: 20 bytes and two status bytes; chip_id 5 (ESP32-C3) at bytes 12..15.
    const security = (report.security_info as string[]).find((f) => f.startsWith('0114'));
    expect(security).toBeDefined();
    expect(security!.slice(16, 16 + 44)).toBe('00000000' + '00' + '00000000000000' + '05000000' + '03000000' + '0000');
    expect(report.after_hard_reset).toMatch(/^dropped: /);

    // The hard reset boots the firmware: the device goes away (the client is dropped, as by a
    // vanished tty) and comes back as a new port, which the server
    // serves to the next client: MicroPython's ESP32C3 build.
    const repl = await runPyserialClient(['repl', url, 'import os, sys; print(sys.platform, os.uname().machine)']);
    expect(repl.output).toContain('esp32 ESP32C3 module with ESP32C3');

    const exited = exitOf(child, 15_000, 'board cli');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
