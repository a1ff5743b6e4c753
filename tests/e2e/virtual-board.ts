// Browser tests' virtual boards: boards in this Node process, reached by the page through the
// WebSocket bridge and the navigator.serial stand-in that Playwright injects before the app loads.
import type { Page } from '@playwright/test';
import { createBoard, type Board, type BoardOptions } from '../board/index.ts';
import { addVirtualSerial } from '../board/virtual-serial.ts';
import type { WsBridge } from '../board/ws-bridge.ts';

export interface VirtualBoards {
  boards: Record<string, Board>;
  bridge: WsBridge;
  close(): Promise<void>;
}

/** Make the boards and give the page its stand-in; `close` stops the bridge and powers them off. */
export async function attachBoards(page: Page, specs: Record<string, BoardOptions>): Promise<VirtualBoards> {
  const boards = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, createBoard(spec)]));
  const bridge = await addVirtualSerial(page, boards);
  return {
    boards,
    bridge,
    async close() {
      await bridge.close();
      for (const b of Object.values(boards)) await b.close();
    },
  };
}
