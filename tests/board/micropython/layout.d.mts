// Types for layout.mjs.
export const CTL: Readonly<{
  EVT: number;
  RX_HEAD: number;
  RX_TAIL: number;
  INTR: number;
  RUNNING: number;
  TX_PENDING: number;
  RPC_SEQ: number;
  RPC_STATUS: number;
  RPC_LEN: number;
  FLASH_LOCK: number;
  CUT_ON_RENAME: number;
  RX_OVERFLOW: number;
  HANG: number;
  RX_LIMIT: number;
  RX_IDLE: number;
  SIZE: number;
}>;
export const RX_CAP: number;
export const RPC_CAP: number;
