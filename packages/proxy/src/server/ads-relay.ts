// A worker's stand-in for the ADS client: the primary holds the one ADS stream and hands each update
// it accepted to the workers over IPC; the relay feeds them to the same AdsSubscription handlers, so a
// worker applies config (and warms listeners) exactly as a single process would.
import { EventEmitter } from 'node:events';
import type { ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { reject, type AdsClientEvents, type ResourceHandler, type ResourceUpdate, type Verdict } from '@weft/xds';
import { decodeUpdate, snapshotOf, type ToPrimary, type ToWorker } from './ipc.js';
import type { AdsSource, ProxyServer } from './proxy-server.js';
import type { WorkerSlots } from './cluster-slots.js';

export class AdsRelay extends EventEmitter<AdsClientEvents> implements AdsSource {
  private readonly handlers = new Map<string, ResourceHandler>();
  private queue: Promise<unknown> = Promise.resolve();

  subscribe(typeUrl: string, handler: ResourceHandler): void {
    this.handlers.set(typeUrl, handler);
  }

  /** The primary's stream asks for the names; a worker receives whatever the primary accepted. */
  setNames(): void {
    return undefined;
  }

  /** Updates arrive through deliver(), from the worker channel. */
  start(): void {
    return undefined;
  }

  close(): void {
    this.handlers.clear();
  }

  /**
   * Applies one handed-over update after the ones before it; resolves with this worker's verdict.
   * `around`: run just before and after the handler, in the same turn of the queue.
   */
  deliver(update: ResourceUpdate, around?: { before(): void; after(): void }): Promise<Verdict> {
    return this.enqueue(async () => {
      around?.before();
      const handler = this.handlers.get(update.typeUrl);
      try {
        const verdict = handler ? await handler(update) : reject(`no subscription for ${update.typeUrl}`);
        this.emit('update', update, verdict);
        return verdict;
      } finally {
        around?.after();
      }
    });
  }

  /** Runs `task` after every update handed over before it (health verdicts follow the endpoints they name). */
  enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export interface WorkerChannelOptions {
  readonly server: ProxyServer;
  readonly relay: AdsRelay;
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  /** The primary asked this worker to drain and exit. */
  readonly onDrain: () => void;
  /** The shared circuit-breaker slots the primary hands over with CDS updates. */
  readonly slots?: WorkerSlots;
}

/** Answers the primary's messages in a worker process; call once the server has started. */
export function serveWorkerChannel(o: WorkerChannelOptions): void {
  const log = moduleLogger(o.logger, 'server.worker');
  const send = (m: ToPrimary) => process.send?.(m);
  process.on('message', (raw) => {
    const m = raw as ToWorker;
    switch (m.kind) {
      case 'xds': {
        let update: ResourceUpdate;
        try {
          update = decodeUpdate(o.registry, m);
        } catch (e) {
          log.error({ err: e, typeUrl: m.typeUrl }, 'could not decode a handed-over update');
          send({ kind: 'applied', typeUrl: m.typeUrl, accepted: false });
          return;
        }
        const slots = o.slots;
        const offered = m.slots;
        const around = slots && offered ? { before: () => slots.offer(offered), after: () => slots.settle() } : undefined;
        void o.relay.deliver(update, around).then((v) => {
          // The primary validated this update already; a worker disagreeing is a bug worth a log line.
          if (!v.accepted) log.error({ typeUrl: m.typeUrl, message: v.message }, 'worker rejected an update the primary accepted');
          send({ kind: 'applied', typeUrl: m.typeUrl, accepted: v.accepted });
        });
        return;
      }
      case 'stats':
        o.server.refreshGauges();
        send({ kind: 'stats', id: m.id, ...snapshotOf(o.server.stats) });
        return;
      case 'drain':
        o.onDrain();
        return;
      case 'drain_listeners':
        o.server.drainListeners({ inboundOnly: m.inboundOnly, graceful: m.graceful });
        return;
      case 'health':
        void o.relay.enqueue(() => {
          for (const v of m.verdicts) o.server.clusters.applyHealthVerdict(v);
        });
        return;
      case 'ejections':
        void o.relay.enqueue(() => o.server.clusters.applyEjections(m.cluster, m.ejected));
        return;
    }
  });
  send({ kind: 'started' });
}
