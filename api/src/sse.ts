import type { Request, Response } from 'express';

/** An open Server-Sent Events response. Once closed (by the client or `end`), nothing more is written. */
export interface EventStream {
  readonly closed: boolean;
  send(event: string, data: unknown): void;
  /** Runs `fn` every `ms` until the stream closes. */
  every(ms: number, fn: () => void): void;
  /** Comment lines that keep proxies from timing the connection out. */
  heartbeat(ms: number): void;
  /** Closes the stream (once): timers stop, `onClose` runs, the response ends. */
  end(): void;
}

/**
 * Starts an SSE response: headers that disable proxy buffering and caching, and one cleanup
 * path (`onClose`, timers) whether the client goes away or the server ends the stream.
 */
export function openEventStream(req: Request, res: Response, onClose: () => void): EventStream {
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearInterval(t);
    onClose();
  };
  req.on('close', close);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(event, data) {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    every(ms, fn) {
      if (!closed) timers.push(setInterval(fn, ms));
    },
    heartbeat(ms) {
      stream.every(ms, () => res.write(': keep-alive\n\n'));
    },
    end() {
      close();
      res.end();
    },
  };
  return stream;
}
