// Shared-memory layout between the board's main-thread side (index.ts) and the interpreter's
// worker (worker.mjs). Plain JavaScript so the worker can load it; layout.d.mts types it.

/** Indices into the Int32Array control block. */
export const CTL = Object.freeze({
  /** Bumped (and notified) by the main thread on anything the worker may wait for. */
  EVT: 0,
  /** UART receive ring: bytes written (main) and read (worker), free-running counters. */
  RX_HEAD: 1,
  RX_TAIL: 2,
  /** Ctrl-C arrived while Python code ran (the UART interrupt of a real board). */
  INTR: 3,
  /** The worker is inside the interpreter (Ctrl-C is then an interrupt, not a REPL byte). */
  RUNNING: 4,
  /** Bytes handed to the main thread for the UART and not yet taken by the link. */
  TX_PENDING: 5,
  /** Reply to the worker's last request: sequence, status, payload length. */
  RPC_SEQ: 6,
  RPC_STATUS: 7,
  RPC_LEN: 8,
  /** 0 free, 1 worker writing flash, 2 power is off (the worker must not start a flash write). */
  FLASH_LOCK: 9,
  /** Cut power during the next rename onto an existing file (test hook). */
  CUT_ON_RENAME: 10,
  /** Bytes lost because the receive ring was full. */
  RX_OVERFLOW: 11,
  /** Never changes: the worker waits on it when it must stop forever. */
  HANG: 12,
  /** The chip's receive buffer: bytes the ring holds while the firmware is busy (rxBufferBytes). */
  RX_LIMIT: 13,
  /** 1 while the worker waits for input: a board would take each byte as it arrives. */
  RX_IDLE: 14,
  SIZE: 16,
});

/**
 * Memory of the UART receive ring. What a board holds is smaller (RX_LIMIT, set per chip in
 * index.ts): the rest only ever fills while the worker is waiting for input, where a board would
 * have taken every byte the moment it arrived.
 */
export const RX_CAP = 4096;
/** Payload area for replies to the worker's requests (socket data, access point lists). */
export const RPC_CAP = 64 * 1024;
