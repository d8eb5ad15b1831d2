// HTTP/1.1 pipelining, handled as Envoy and nginx do: one request at a time per connection. Node's
// parser emits every request it finds in a read at once; later ones wait here until the response
// before them has finished, and the socket stops being read while any wait, so one connection can
// neither put more than one request on the upstream nor buffer more than one read of requests.
import type net from 'node:net';

interface Pending {
  readonly socket: net.Socket;
  readonly res: NodeJS.EventEmitter;
  readonly run: () => void;
}

interface ConnectionQueue {
  active: boolean;
  readonly waiting: Pending[];
  /** This queue paused the socket (Node may pause it too, for its own reasons). */
  paused: boolean;
}

export class Http1Pipeline {
  private readonly queues = new WeakMap<net.Socket, ConnectionQueue>();

  /** Runs `run` now when the connection is idle, else once every earlier response on it is done. */
  submit(socket: net.Socket, res: NodeJS.EventEmitter, run: () => void): void {
    let q = this.queues.get(socket);
    if (!q) {
      q = { active: false, waiting: [], paused: false };
      this.queues.set(socket, q);
    }
    if (q.active) {
      q.waiting.push({ socket, res, run });
      if (!q.paused) {
        q.paused = true;
        socket.pause();
      }
      return;
    }
    this.start(q, { socket, res, run });
  }

  /** No request is being handled on this connection. */
  idle(socket: net.Socket): boolean {
    return !this.queues.get(socket)?.active;
  }

  /** How many requests wait behind the active one on this connection (for tests and stats). */
  waiting(socket: net.Socket): number {
    return this.queues.get(socket)?.waiting.length ?? 0;
  }

  private start(q: ConnectionQueue, p: Pending): void {
    q.active = true;
    let done = false;
    const next = () => {
      if (done) return;
      done = true;
      q.active = false;
      const following = q.waiting.shift();
      // A response that closed the connection (connection: close, HTTP/1.0) leaves the rest unanswered, as Node and Envoy do.
      if (p.socket.destroyed || !p.socket.writable || (p.res as { shouldKeepAlive?: boolean }).shouldKeepAlive === false) {
        q.waiting.length = 0;
        return;
      }
      if (following) {
        // Started on the next tick: Node assigns the socket to the next response once this one has
        // finished, and the next request's handling must see that.
        setImmediate(() => this.start(q, following));
        return;
      }
      if (q.paused) {
        q.paused = false;
        p.socket.resume();
      }
    };
    p.res.once('finish', next);
    p.res.once('close', next);
    p.run();
  }
}
