// npm start — Nyala on localhost, with no hardware and no internet needed. Ctrl-C stops all of it.
import { createServer } from 'vite';

const server = await createServer({ server: { host: 'localhost', port: Number(process.env.PORT ?? 5173) } });
await server.listen();
server.printUrls();

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  });
}
