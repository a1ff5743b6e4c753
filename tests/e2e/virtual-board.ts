// Browser tests' virtual boards: boards in this Node process, reached by the page through the
// WebSocket bridge and the navigator.serial stand-in that Playwright injects before the app loads.
import type { Page } from '@playwright/test';
import { createBoard, type Board, type BoardOptions } from '../board/index.ts';
import { bridged, startWsBridge, type WsBridge } from '../board/ws-bridge.ts';
import { standinScript } from '../board/standin-bundle.ts';

export interface VirtualBoards {
  boards: Record<string, Board>;
  bridge: WsBridge;
  close(): Promise<void>;
}

/** Make the boards, start the bridge, and give the page its stand-in. */
export async function attachBoards(page: Page, specs: Record<string, BoardOptions>): Promise<VirtualBoards> {
  const boards: Record<string, Board> = {};
  for (const [name, spec] of Object.entries(specs)) boards[name] = createBoard(spec);
  const bridge = await startWsBridge({ boards: Object.fromEntries(Object.entries(boards).map(([n, b]) => [n, bridged(b)])) });
  await page.addInitScript({ content: await standinScript(bridge.url) });
  return {
    boards,
    bridge,
    async close() {
      await bridge.close();
      for (const b of Object.values(boards)) await b.close();
    },
  };
}
