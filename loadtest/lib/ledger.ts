// What the server has promised: tokens and events answered with a 2xx, and those whose answer never
// came (their fate is unknown: the data check allows them either way and says so).
export class Ledger {
  ackTokens = 0;
  ackEvents = 0;
  unknownTokens = 0;
  unknownEvents = 0;
  /** Written straight through SQL by the ceiling loop, not through the API. */
  sqlTokens = 0;
  sqlEvents = 0;
}

/** One request ready to write, with what it carries. */
/** `status`: the answer that counts as success when it is not a 2xx (a bulk evaluation's 304). */
export interface Shot { request: Buffer; kind: string; events: number; tokens: number; status?: number }
