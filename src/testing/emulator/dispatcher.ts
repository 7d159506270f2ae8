/**
 * From a request to its answer: read the body, log the request, check its bearer, draw its fault, hand it to the
 * route's owner, and write the answer, held back when a latency, a stall or a wait says so.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import { envelope, htmlNotFound, unauthenticated, writeAnswer, type Answer } from './answers';
import type { Credentials } from './credentials';
import type { FaultInjector } from './faults';
import type { IamCredentials } from './iam-credentials';
import type { MetadataServer } from './metadata-server';
import type { OperationStore } from './operations';
import type { RequestLog } from './request-log';
import { connectionKind, flattenHeaders, matchRoute, parseBearer, type RouteMatch } from './routes';
import type { RecordedRequest } from './types';
import type { HeldWaits } from './waits';

const MAX_BODY_BYTES = 1024 * 1024;

/** The parts of the emulator a request may reach. */
export interface DispatcherParts {
  readonly log: RequestLog;
  readonly operations: OperationStore;
  readonly faults: FaultInjector;
  readonly credentials: Credentials;
  readonly metadata: MetadataServer;
  readonly iam: IamCredentials;
  readonly waits: HeldWaits;
}

/** Answers the HTTP server's connections and requests, and holds the answers it has yet to send. */
export class Dispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly parts: DispatcherParts) {}

  /** The server accepted a TCP connection. */
  onConnection(socket: Socket): void {
    this.parts.log.connectionAccepted(socket);
  }

  /** The server received a request: answer it once its body is in. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.parts.log.requestArrived(req.socket, connectionKind(req.url ?? ''));
    const at = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      try {
        this.dispatch(req, res, at, Buffer.concat(chunks).toString('utf8'), size > MAX_BODY_BYTES);
      } catch (error) {
        if (!res.headersSent && !res.destroyed) {
          const message = error instanceof Error ? error.message : String(error);
          writeAnswer(res, envelope('INTERNAL', `Emulator failure: ${message}`));
        }
      }
    });
  }

  /** Drop every answer still held back, waits included; its request never gets one. */
  dropHeldAnswers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.parts.waits.dropAll();
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, at: number, body: string, tooLarge: boolean): void {
    const { log, operations, faults, credentials, metadata, iam } = this.parts;
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    const query = queryStart === -1 ? '' : target.slice(queryStart + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = flattenHeaders(req.headers);
    const bearer = parseBearer(headers['authorization']);
    const match = matchRoute(method, path, (name) => operations.has(name));

    const principal = bearer === undefined ? undefined : credentials.principalOf(bearer, at);
    const record: RecordedRequest = {
      at,
      method,
      path,
      query,
      route: match.route,
      ...(match.name !== undefined && { name: match.name }),
      ...(match.apiVersion !== undefined && { apiVersion: match.apiVersion }),
      body,
      ...(bearer !== undefined && { bearer }),
      authorized: principal !== undefined,
      ...(principal !== undefined && { principal }),
      status: 0,
      headers,
    };
    log.add(record);

    if (tooLarge) {
      this.respond(res, record, envelope('INVALID_ARGUMENT', 'Request payload size exceeds the limit.'), 0);
      return;
    }
    switch (match.route) {
      case 'cancel':
      case 'get':
      case 'list':
      case 'wait': {
        if (faults.operationsFailing(at)) {
          record.fault = 'outage';
          this.respond(res, record, envelope('UNAVAILABLE', 'The service is currently unavailable.'), 0);
          return;
        }
        const scripted = record.authorized ? faults.takeScripted(match.route, match.name) : undefined;
        if (scripted) {
          record.fault = 'scripted';
          const latency = faults.latencyMs;
          if ('stallMs' in scripted) {
            this.answerOperations(res, record, match, method, body, query, latency + scripted.stallMs);
          } else {
            this.respond(res, record, scripted, latency);
          }
          return;
        }
        const fault = faults.pick();
        if (fault) record.fault = fault;
        const latency = faults.latencyMs;
        if (fault !== undefined && fault !== 'stall') {
          this.respond(res, record, faults.answer(fault), latency);
          return;
        }
        const delayMs = latency + (fault === 'stall' ? faults.stallMs : 0);
        if (record.authorized) this.answerOperations(res, record, match, method, body, query, delayMs);
        else this.respond(res, record, unauthenticated(bearer !== undefined), delayMs);
        return;
      }
      case 'iam': {
        const scripted = faults.takeScripted('iam', match.name);
        if (scripted && !('stallMs' in scripted)) {
          record.fault = 'scripted';
          this.respond(res, record, scripted, 0);
          return;
        }
        this.respond(res, record, iam.answer(match.name ?? '', bearer, body), scripted?.stallMs ?? 0);
        return;
      }
      case 'metadata':
      case 'token':
        this.respond(res, record, metadata.answer(method, path, headers, body, new URLSearchParams(query)), 0);
        return;
      case 'other':
        this.respond(res, record, htmlNotFound(path), 0);
        return;
    }
  }

  /** Let the operations answer `match`: a wait is held until it settles, then the delay runs as for the others. */
  private answerOperations(
    res: ServerResponse,
    record: RecordedRequest,
    match: RouteMatch,
    method: string,
    body: string,
    query: string,
    delayMs: number,
  ): void {
    if (match.route !== 'wait') {
      this.respond(res, record, this.parts.operations.answer(match, method, body, new URLSearchParams(query)), delayMs);
      return;
    }
    const release = this.parts.waits.hold(match, body, (answer) => this.respond(res, record, answer, delayMs));
    res.once('close', release);
  }

  private respond(res: ServerResponse, record: RecordedRequest, answer: Answer, delayMs: number): void {
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (answer.kind === 'reset') {
        res.socket?.resetAndDestroy();
        return;
      }
      record.status = answer.status;
      writeAnswer(res, answer);
    };
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delayMs);
    this.timers.add(timer);
  }
}
