// A test serves a production build with `vite preview` on a free port and stops it after, so the
// service worker under test is the real one. The signed lamp the remote's tests talk to is here too.
import { test as base, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { preview, type PreviewServer } from 'vite';
import type { Power } from '../../src/lamp/remote.ts';
import type { LampSettings } from '../../src/lamp/settings.ts';
import { lampMac, signPayload, verifyPayload } from '../../src/lamp/signing.ts';
import { outPath, root, type BuildSpec } from './builds.ts';

export interface Served {
  /** http://127.0.0.1:<port><base> */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Serve a build; `port` reuses an origin (the update test serves a new version on the same one). */
export async function serve(build: BuildSpec, port?: number): Promise<Served> {
  const p = port ?? (await freePort());
  const server: PreviewServer = await preview({
    root,
    configFile: false,
    base: build.base,
    logLevel: 'silent',
    build: { outDir: outPath(build) },
    preview: { host: '127.0.0.1', port: p, strictPort: true },
  });
  let stopped = false;
  return {
    url: `http://127.0.0.1:${p}${build.base}`,
    port: p,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Chromium keeps connections alive; drop them so "stopped" means nothing answers any more.
      const http = server.httpServer as { closeAllConnections?: () => void };
      http.closeAllConnections?.();
      await server.close();
    },
  };
}

interface Fixtures {
  /** stops every server a test started, even when it fails */
  servers: { serve: typeof serve };
}

export const test = base.extend<Fixtures>({
  // Playwright reads the fixtures a fixture needs from its first parameter, which must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  servers: async ({}, use) => {
    const started: Served[] = [];
    await use({
      serve: async (b, port) => {
        const s = await serve(b, port);
        started.push(s);
        return s;
      },
    });
    for (const s of started) await s.stop();
  },
});

export { expect };

/**
 * A lamp that speaks the signed protocol of docs/contracts.md ("The signed lamp protocol") over
 * the wire, as firmware/main.py does, built on src/lamp/signing.ts: status `online <sid> <mac>`
 * (retained, last will `offline <sid> <mac>`), state `<ch> <mac>` (retained, always the current
 * challenge), and for a command `<on|off> <ch> <mac>` that is not retained, has a valid MAC and
 * carries the current challenge: a new challenge, the lamp set, the state, then the reply
 * `<text> <ch_used> <mac>`. Anything else does nothing to the lamp and is counted in `refused`;
 * a stale command makes it publish its state again so an honest remote can retry.
 */
export class SignedBoard {
  /** the commands it applied, in order */
  readonly applied: Power[] = [];
  /** the commands it refused, with the contract's reason */
  readonly refused: Array<'retained' | 'malformed' | 'bad-mac' | 'stale'> = [];
  lamp: Power = 'off';
  readyCount = 0;
  /** commands received while held, answered by `release()` */
  private held: Array<() => void> = [];
  private holding = false;
  private client: MqttClient | null = null;
  private challenge = newChallenge();
  private readonly sid = newChallenge();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly options: { brokerUrl: string; lamp: LampSettings; delayMs?: number },
  ) {}

  private get key(): string {
    const auth = this.options.lamp.auth;
    if (auth.mode !== 'signed') throw new Error('SignedBoard needs a signed lamp');
    return auth.key;
  }

  async start(): Promise<void> {
    const { topics } = this.options.lamp;
    const client = connect(this.options.brokerUrl, {
      clientId: `nyala-${this.options.lamp.deviceId}-${randomBytes(2).toString('hex')}`,
      reconnectPeriod: 50,
      connectTimeout: 5_000,
      will: {
        topic: topics.status,
        payload: Buffer.from(signPayload(this.key, 'status', topics.status, `offline ${this.sid}`)),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe(topics.command, { qos: 1 }, () => {
        this.publishState();
        client.publish(topics.status, signPayload(this.key, 'status', topics.status, `online ${this.sid}`), { qos: 1, retain: true }, () => {
          this.readyCount += 1;
          this.notify();
        });
      });
    });
    client.on('message', (_topic, payload, packet) => this.onCommand(payload.toString(), packet.retain));
    await this.whenReady(1);
  }

  /** Answer nothing until `release()`: a command stays pending in the page meanwhile. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  private onCommand(payload: string, retained: boolean): void {
    const { topics, replies } = this.options.lamp;
    const refuse = (reason: SignedBoard['refused'][number]) => {
      this.refused.push(reason);
      if (reason === 'stale') this.publishState();
      this.notify();
    };
    if (retained) return refuse('retained');
    const parts = payload.split(' ');
    if (parts.length !== 3 || (parts[0] !== 'on' && parts[0] !== 'off')) return refuse('malformed');
    const verified = verifyPayload(this.key, 'cmd', topics.command, payload);
    if (!verified) return refuse('bad-mac');
    const [want, ch] = parts as [Power, string];
    if (ch !== this.challenge) return refuse('stale');
    // Consumed: this challenge never works again, and the next command needs the new one.
    this.challenge = newChallenge();
    const answer = () => {
      this.lamp = want;
      this.applied.push(want);
      // The state, then the reply, as the contract says. The reply waits for the state's PUBACK:
      // aedes 1.2 forwards a retained QoS 0 PUBLISH after the store, so a PUBLISH right behind it
      // overtakes it and aedes then drops it as already sent (moscajs/aedes#994).
      const text = want === 'on' ? replies.on : replies.off;
      this.publishState(() =>
        this.client?.publish(topics.reply, signPayload(this.key, 'reply', topics.reply, `${text} ${ch}`), { qos: 0 }, () => this.notify()),
      );
      this.notify();
    };
    if (this.holding) this.held.push(answer);
    else if (this.options.delayMs) setTimeout(answer, this.options.delayMs);
    else answer();
    this.notify();
  }

  private publishState(then?: () => void): void {
    const { state } = this.options.lamp.topics;
    const mac = lampMac(this.key, 'state', state, `${this.lamp} ${this.challenge}`);
    this.client?.publish(state, `${this.challenge} ${mac}`, { qos: 1, retain: true }, () => then?.());
  }

  /** Resolves once it has been ready `count` times in all. */
  whenReady(count: number, ms = 5_000): Promise<void> {
    return this.until(() => this.readyCount >= count, `signed lamp ready ×${count}`, ms);
  }

  /** Resolves once it holds (or has applied) `n` valid commands. */
  whenValidCommands(n: number, ms = 5_000): Promise<void> {
    return this.until(() => this.applied.length + this.held.length >= n, `${n} valid command(s)`, ms);
  }

  private until(test: () => boolean, what: string, ms: number): Promise<void> {
    if (test()) return Promise.resolve();
    let waiter: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      waiter = () => {
        if (test()) resolve();
      };
      this.waiters.add(waiter);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([done, timeout]).finally(() => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.endAsync(true);
  }
}

/** 16 lowercase hex digits from 8 random bytes, as the board's os.urandom(8). */
function newChallenge(): string {
  return randomBytes(8).toString('hex');
}
