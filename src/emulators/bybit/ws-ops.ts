/** One frame a client sends on a Bybit stream: its op, its args, the topics among them, its req_id */
export interface WsOp {
  readonly op: unknown;
  readonly args: unknown;
  /** The text args (topic names for subscribe / unsubscribe) */
  readonly topics: string[];
  readonly reqId: string | undefined;
}

/** Reads a client frame; undefined when it is not JSON (Bybit answers `error:invalid op`) */
export function readOp(text: string): WsOp | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const message = (typeof json === 'object' && json !== null ? json : {}) as Record<
    string,
    unknown
  >;
  const args = message['args'];
  return {
    op: message['op'],
    args,
    topics: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    reqId: typeof message['req_id'] === 'string' ? message['req_id'] : undefined,
  };
}
