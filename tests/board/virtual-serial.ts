// One call for a Playwright test: bridge the boards and give a page (or every page of a browser
// context) the navigator.serial stand-in that reaches them.
//
//   const board = createBoard({ chip: 'esp8266', timeScale: 0.1 });
//   const serial = await addVirtualSerial(page, { lamp: board });
//   await page.goto(url);             // the app's requestPort() now gets the board
//   serial.choose(null);              // …or Chromium's own chooser
//   await serial.close();
//
// Typed structurally, so this module does not depend on Playwright.

import type { Board } from './index.ts';
import { standinScript } from './standin-bundle.ts';
import { bridged, startWsBridge, type BridgedBoard, type WsBridge } from './ws-bridge.ts';

/** A Playwright `Page` or `BrowserContext`: both take init scripts. */
export interface InitScriptTarget {
  addInitScript(script: { content: string }): Promise<unknown>;
}

function isBoard(board: Board | BridgedBoard): board is Board {
  return 'gpio' in board && 'faults' in board;
}

/** Starts a bridge for `boards` and installs the stand-in in `target` before its pages load. */
export async function addVirtualSerial(target: InitScriptTarget, boards: Record<string, Board | BridgedBoard>): Promise<WsBridge> {
  const entries = Object.entries(boards).map(([name, board]) => [name, isBoard(board) ? bridged(board) : board] as const);
  const bridge = await startWsBridge({ boards: Object.fromEntries(entries) });
  try {
    await target.addInitScript({ content: await standinScript(bridge.url) });
  } catch (error) {
    await bridge.close();
    throw error;
  }
  return bridge;
}
