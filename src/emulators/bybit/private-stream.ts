import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock } from '../../engine/clock.ts';
import type { EmulatorFaults } from '../faults.ts';
import { FaultedPushes } from '../push-faults.ts';
import { SocketSet } from '../sockets.ts';
import type { PrivatePush } from './exchange.ts';
import { DEFAULT_ALIVE_MS, IdleCut } from './idle-cut.ts';
import type { Credentials } from './signature.ts';
import { verifyWsAuth } from './signature.ts';
import { readOp } from './ws-ops.ts';

const TOPICS = ['order', 'execution', 'position', 'wallet'] as const;
type Topic = (typeof TOPICS)[number];
const PUSH_LOG_SIZE = 10_000;

interface PrivateSocket {
  readonly socket: WebSocket;
  readonly connId: string;
  authed: boolean;
  /** Subscribed names as given: `order` or its categorised form `order.linear` */
  readonly topics: Set<string>;
}

function isTopic(name: string): boolean {
  const [base, category, ...rest] = name.split('.');
  return (
    rest.length === 0 &&
    (TOPICS as readonly string[]).includes(base ?? '') &&
    (category === undefined || ['linear', 'inverse', 'spot', 'option'].includes(category))
  );
}

/**
 * The private stream (`/v5/private`): the `auth` op (HMAC of `GET/realtime` + expires),
 * subscribe / unsubscribe to the `order`, `execution`, `position` and `wallet` topics (all-in-one
 * or categorised), `ping` answered with `pong`, and the pushes of every account change, each
 * through the fault controller (dropped, duplicated, reordered or late).
 */
export class PrivateStreams {
  private readonly clock: Clock;
  private readonly faults: EmulatorFaults;
  private readonly credentials: Credentials;
  private readonly pipeline: FaultedPushes;
  private readonly sockets = new SocketSet<PrivateSocket>();
  private readonly idle: IdleCut;
  private nextId = 0;
  /** Every push as sent (after faults), newest last, bounded; for tests */
  readonly log: Record<string, unknown>[] = [];

  constructor(clock: Clock, faults: EmulatorFaults, credentials: Credentials) {
    this.clock = clock;
    this.faults = faults;
    this.credentials = credentials;
    this.pipeline = new FaultedPushes(clock, faults, (text) => this.send(text));
    this.idle = new IdleCut(clock);
  }

  /** Serves a new connection, cut after `aliveMs` without ping or data (`max_active_time`) */
  attach(socket: WebSocket, aliveMs = DEFAULT_ALIVE_MS): void {
    const entry: PrivateSocket = { socket, connId: randomUUID(), authed: false, topics: new Set() };
    this.sockets.add(entry);
    this.idle.watch(socket, aliveMs);
    socket.on('message', (data) => this.command(entry, String(data)));
  }

  /** How many private sockets have been opened since start */
  get connections(): number {
    return this.sockets.opened;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** The topics authenticated sockets are subscribed to now, each once */
  topics(): string[] {
    const names = new Set<string>();
    for (const entry of this.sockets)
      if (entry.authed) for (const name of entry.topics) names.add(name);
    return [...names];
  }

  private reply(entry: PrivateSocket, message: Record<string, unknown>): void {
    this.transmit(entry, JSON.stringify(message));
  }

  /** Sends a frame; data sent keeps the connection alive */
  private transmit(entry: PrivateSocket, text: string): void {
    if (entry.socket.readyState !== entry.socket.OPEN) return;
    entry.socket.send(text);
    this.idle.touch(entry.socket);
  }

  private command(entry: PrivateSocket, text: string): void {
    const frame = readOp(text);
    if (frame === undefined) {
      this.reply(entry, { success: false, ret_msg: 'error:invalid op', conn_id: entry.connId });
      return;
    }
    const op = frame.op;
    const reqId = frame.reqId === undefined ? {} : { req_id: frame.reqId };
    const answer = (success: boolean, retMsg: string) =>
      this.reply(entry, { ...reqId, success, ret_msg: retMsg, op, conn_id: entry.connId });
    if (op === 'ping') {
      this.idle.touch(entry.socket);
      this.reply(entry, {
        ...reqId,
        op: 'pong',
        args: [String(Math.floor(this.clock.now()))],
        conn_id: entry.connId,
      });
      return;
    }
    if (op === 'auth') {
      const verdict = verifyWsAuth(frame.args, this.credentials, this.faults.serverTime());
      if (verdict.ok) entry.authed = true;
      answer(verdict.ok, verdict.ok ? '' : verdict.message);
      return;
    }
    if (op === 'subscribe' || op === 'unsubscribe') {
      const names = frame.topics;
      if (!entry.authed) {
        answer(false, 'Request not authorized');
        return;
      }
      const unknown = names.find((name) => !isTopic(name));
      if (names.length === 0 || unknown !== undefined) {
        answer(false, `error:handler not found,topic:${unknown ?? ''}`);
        return;
      }
      for (const name of names) {
        if (op === 'subscribe') entry.topics.add(name);
        else entry.topics.delete(name);
      }
      answer(true, '');
      return;
    }
    answer(false, 'error:invalid op');
  }

  /** Sends an account change to every authenticated subscriber of its topic, through the push faults */
  push(push: PrivatePush): void {
    this.nextId += 1;
    const frame = {
      id: `${this.nextId}${randomUUID()}`,
      topic: push.topic,
      creationTime: Math.floor(this.clock.now()),
      data: push.data,
    };
    this.pipeline.push(JSON.stringify(frame));
  }

  private send(text: string): void {
    const frame = JSON.parse(text) as { topic: Topic };
    this.log.push(frame);
    if (this.log.length > PUSH_LOG_SIZE) this.log.shift();
    const categorised = `${frame.topic}.linear`;
    for (const entry of this.sockets) {
      if (!entry.authed || entry.socket.readyState !== entry.socket.OPEN) continue;
      if (entry.topics.has(frame.topic)) this.transmit(entry, text);
      else if (entry.topics.has(categorised))
        this.transmit(entry, JSON.stringify({ ...frame, topic: categorised }));
    }
  }

  /** Sends raw text frames, exactly as given, to every authenticated private socket */
  sendRaw(frames: readonly string[]): number {
    return this.sockets.sendRaw(frames, (s) => s.authed);
  }

  /** Drops every private socket: terminated (code 1006 at the client) or closed with `code` */
  dropAll(code: number | undefined): number {
    return this.sockets.dropAll(code);
  }

  close(): void {
    this.pipeline.close();
    this.idle.close();
    this.sockets.terminateAll();
  }
}
