// MuxCache: routes each watch to the cache serving its type (e.g. a SnapshotCache for CDS/LDS/RDS and
// a LinearCache for EDS), so one ADS stream can be served by several caches.
import { moduleLogger, silentLogger, type Logger } from '@weft/base';
import type {
  CancelWatch,
  ConfigWatcher,
  DeltaConfigWatcher,
  DeltaResponse,
  DeltaWatchState,
  SotwResponse,
  SotwWatchState,
  WatchRequest,
} from './config-watcher.js';
import { NO_WATCH } from './config-watcher.js';
import { XdsErrors } from './errors.js';

export type AnyWatcher = ConfigWatcher & Partial<DeltaConfigWatcher>;

export interface MuxCacheOptions {
  /** Caches by type URL. */
  byType: Readonly<Record<string, AnyWatcher>>;
  /** The cache for every other type; without it, such watches stay open and never answer. */
  fallback?: AnyWatcher;
  logger?: Logger;
}

export class MuxCache implements ConfigWatcher, DeltaConfigWatcher {
  private readonly byType: ReadonlyMap<string, AnyWatcher>;
  private readonly fallback: AnyWatcher | undefined;
  private readonly log: Logger;

  constructor(options: MuxCacheOptions) {
    this.byType = new Map(Object.entries(options.byType));
    this.fallback = options.fallback;
    this.log = moduleLogger(options.logger ?? silentLogger(), 'xds.mux-cache');
  }

  createWatch(request: WatchRequest, state: SotwWatchState, respond: (r: SotwResponse) => void): CancelWatch {
    const cache = this.route(request.typeUrl);
    return cache ? cache.createWatch(request, state, respond) : NO_WATCH;
  }

  createDeltaWatch(request: WatchRequest, state: DeltaWatchState, respond: (r: DeltaResponse) => void): CancelWatch {
    const cache = this.route(request.typeUrl);
    if (cache?.createDeltaWatch) return cache.createDeltaWatch(request, state, respond);
    if (cache) this.log.warn({ typeUrl: request.typeUrl }, 'cache for this type does not serve Delta xDS');
    return NO_WATCH;
  }

  private route(typeUrl: string): AnyWatcher | undefined {
    const cache = this.byType.get(typeUrl) ?? this.fallback;
    if (!cache) {
      const e = XdsErrors.NO_CACHE_FOR_TYPE([typeUrl]);
      this.log.warn({ code: e.code, typeUrl }, e.message);
    }
    return cache;
  }
}
