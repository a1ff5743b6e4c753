// The numbers of RFC 2217 ("Telnet Com Port Control Option") that the server speaks, each with
// where in the RFC it comes from.

/** The telnet option number of RFC 2217 itself (RFC 2217, p. 4). */
export const COM_PORT_OPTION = 44;

/** Client-to-server commands (RFC 2217, p. 4); the server answers with the same code + 100. */
export const CPO = {
  SIGNATURE: 0,
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  NOTIFY_LINESTATE: 6,
  NOTIFY_MODEMSTATE: 7,
  FLOWCONTROL_SUSPEND: 8,
  FLOWCONTROL_RESUME: 9,
  SET_LINESTATE_MASK: 10,
  SET_MODEMSTATE_MASK: 11,
  PURGE_DATA: 12,
} as const;
export const SERVER_OFFSET = 100;

/** SET-CONTROL values (RFC 2217, pp. 8–10). */
export const CONTROL = {
  REQ_FLOW: 0,
  FLOW_NONE: 1,
  FLOW_XONXOFF: 2,
  FLOW_HARDWARE: 3,
  REQ_BREAK: 4,
  BREAK_ON: 5,
  BREAK_OFF: 6,
  REQ_DTR: 7,
  DTR_ON: 8,
  DTR_OFF: 9,
  REQ_RTS: 10,
  RTS_ON: 11,
  RTS_OFF: 12,
  REQ_FLOW_IN: 13,
  FLOW_IN_NONE: 14,
  FLOW_IN_XONXOFF: 15,
  FLOW_IN_HARDWARE: 16,
  FLOW_DCD: 17,
  FLOW_IN_DTR: 18,
  FLOW_DSR: 19,
} as const;

/** PURGE-DATA values (RFC 2217, p. 11): which access-server buffer to empty. */
export const PURGE = { RECEIVE: 1, TRANSMIT: 2, BOTH: 3 } as const;

/** LINESTATE bits (RFC 2217, p. 12): both transmit registers empty = nothing waiting to go out. */
export const LINESTATE_TX_EMPTY = 0x40 | 0x20;

/** The board's UART frame: the ESP ROM and MicroPython use 8 data bits, no parity, 1 stop bit;
 *  the RFC 2217 codes are DATASIZE 8, PARITY 1 = NONE, STOPSIZE 1 = one (RFC 2217, pp. 6–7). */
export const DATASIZE_8 = 8;
export const PARITY_NONE = 1;
export const STOPSIZE_1 = 1;
