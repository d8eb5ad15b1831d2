// The secret manager (Envoy's SecretManager + SdsApi): one provider per (config source, name) that
// TLS contexts watch. Static secrets come from the bootstrap; ADS secrets from the proxy's ADS stream
// (the subscription asks for adsNames()); gRPC sources get one SdsClient each. A provider is warming
// until its secret arrives or its initial_fetch_timeout passes; onWarm() tells the listener and
// cluster managers to re-check what waits. Stats: sds.<name>.update_success / update_rejected /
// init_fetch_timeout, as Envoy's SDS subscription stats.
import type { Node, ProtoRegistry } from '@weft/api';
import { IssueCollector, moduleLogger, type Logger } from '@weft/base';
import type { StatScope } from '../stats/stat-store.js';
import type { SecretHandle, SecretProviders } from '../tls/dynamic-tls.js';
import { SdsClient, type SecretsResponse } from './sds-client.js';
import { compileSecret, type CompiledSecret, type SecretInput } from './secret.js';
import type { SecretRef } from './secret-source.js';

export interface SecretManagerOptions {
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  readonly stats: StatScope;
  readonly node: Node;
  /** Bootstrap static_resources.secrets (checked by the bootstrap parser). */
  readonly staticSecrets?: readonly SecretInput[];
  /** The gRPC target of a static cluster (sds_config envoy_grpc), if it has a usable endpoint. */
  readonly clusterTarget: (cluster: string) => string | undefined;
}

class Provider implements SecretHandle {
  secret: CompiledSecret | undefined;
  /** The JSON of the accepted Secret, so that an unchanged resend does not rebuild contexts. */
  raw = '';
  version = 0;
  warmed = false;
  timer: NodeJS.Timeout | undefined;

  constructor(readonly ref: SecretRef) {}

  current(): CompiledSecret | undefined {
    return this.secret;
  }
}

/** A secret's stat prefix: Envoy names SDS stats after the secret. */
function statName(name: string): string {
  return `sds.${name}`;
}

export class SecretManager implements SecretProviders {
  private readonly log: Logger;
  private readonly providers = new Map<string, Provider>();
  private readonly statics = new Map<string, CompiledSecret>();
  private readonly clients = new Map<string, SdsClient>();
  private readonly warmListeners = new Set<() => void>();
  private readonly adsListeners = new Set<(names: string[]) => void>();
  private closed = false;

  constructor(private readonly options: SecretManagerOptions) {
    this.log = moduleLogger(options.logger, 'sds.secret-manager');
    for (const s of options.staticSecrets ?? []) {
      const compiled = compileSecret(s, new IssueCollector(`static secret ${s.name}`));
      if (compiled) this.statics.set(s.name, compiled);
    }
  }

  /** The provider of a secret, created (and its source subscribed) on first use. */
  watch(ref: SecretRef): SecretHandle {
    const key = `${ref.sourceKey}|${ref.name}`;
    const existing = this.providers.get(key);
    if (existing) return existing;
    const p = new Provider(ref);
    this.providers.set(key, p);
    if (ref.source.kind === 'static') {
      p.secret = this.statics.get(ref.name);
      p.warmed = true;
      if (!p.secret) this.log.warn({ secret: ref.name, path: ref.path }, 'no static secret of that name in the bootstrap');
      return p;
    }
    if (ref.initialFetchTimeoutMs > 0 && !this.closed) {
      p.timer = setTimeout(() => this.fetchTimedOut(p), ref.initialFetchTimeoutMs);
      p.timer.unref();
    }
    if (ref.source.kind === 'ads') {
      const names = this.adsNames();
      for (const l of this.adsListeners) l(names);
    } else this.grpcClient(ref)?.setNames(this.namesOf(ref.sourceKey));
    return p;
  }

  /** Whether every secret is in (or timed out): what a warming listener or cluster waits for. */
  warmed(refs: readonly SecretRef[]): boolean {
    return refs.every((r) => this.watch(r).warmed);
  }

  /** Called whenever a provider stops warming. */
  onWarm(listener: () => void): void {
    this.warmListeners.add(listener);
  }

  /** The names to request over ADS (type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret). */
  adsNames(): string[] {
    return this.namesOf('ads');
  }

  /** Called with the new ADS names whenever a context asks for a secret over ADS. */
  onAdsNames(listener: (names: string[]) => void): void {
    this.adsListeners.add(listener);
  }

  /** Secrets from ADS; an error message NACKs the whole update. */
  applyAds(secrets: ReadonlyArray<{ readonly name: string; readonly value: Record<string, unknown> }>): string | undefined {
    return this.apply('ads', { version: '', secrets });
  }

  /** Accepted secrets by name (admin config_dump's dynamic_active_secrets). */
  activeSecrets(): Array<{ name: string; source: string; version: number; kind: CompiledSecret['kind'] | 'missing'; warming: boolean }> {
    return [...this.providers.values()].map((p) => ({ name: p.ref.name, source: p.ref.sourceKey, version: p.version, kind: p.secret?.kind ?? 'missing', warming: !p.warmed }));
  }

  close(): void {
    this.closed = true;
    for (const p of this.providers.values()) clearTimeout(p.timer);
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private namesOf(sourceKey: string): string[] {
    const names: string[] = [];
    for (const p of this.providers.values()) if (p.ref.sourceKey === sourceKey) names.push(p.ref.name);
    return [...new Set(names)].sort();
  }

  private grpcClient(ref: SecretRef): SdsClient | undefined {
    const existing = this.clients.get(ref.sourceKey);
    if (existing || this.closed || ref.source.kind !== 'grpc') return existing;
    const target = ref.source.target ?? (ref.source.cluster !== undefined ? this.options.clusterTarget(ref.source.cluster) : undefined);
    if (!target) {
      this.log.warn({ secret: ref.name, cluster: ref.source.cluster }, 'the SDS cluster has no usable endpoint; the secret cannot be fetched');
      return undefined;
    }
    const client = new SdsClient({
      target,
      node: this.options.node,
      registry: this.options.registry,
      logger: this.options.logger,
      onResponse: (r) => this.apply(ref.sourceKey, r),
    });
    this.clients.set(ref.sourceKey, client);
    this.log.info({ target, source: ref.sourceKey }, 'SDS stream opened');
    return client;
  }

  /** Checks every secret of a response first; applies them only when all are valid (the update is NACKed whole). */
  private apply(sourceKey: string, response: SecretsResponse): string | undefined {
    const errors: string[] = [];
    const compiled: Array<{ provider: Provider; secret: CompiledSecret; raw: string }> = [];
    const rejected: string[] = [];
    for (const s of response.secrets) {
      const provider = this.providers.get(`${sourceKey}|${s.name}`);
      // Envoy ignores secrets nobody asked for on a shared stream.
      if (!provider) continue;
      const issues = new IssueCollector(`secret ${s.name}`);
      const secret = compileSecret(s.value as unknown as SecretInput, issues);
      if (!secret) {
        errors.push(...issues.errors.map((e) => `${e.path}: ${e.message}`));
        rejected.push(s.name);
        continue;
      }
      compiled.push({ provider, secret, raw: JSON.stringify(s.value) });
    }
    if (errors.length > 0) {
      for (const name of rejected) this.options.stats.counter(`${statName(name)}.update_rejected`).inc();
      return errors.join('; ');
    }
    let warmedAny = false;
    for (const { provider, secret, raw } of compiled) {
      this.options.stats.counter(`${statName(provider.ref.name)}.update_success`).inc();
      if (provider.raw !== raw) {
        provider.secret = secret;
        provider.raw = raw;
        provider.version++;
        this.log.info({ secret: provider.ref.name, source: sourceKey, version: response.version || undefined }, 'secret updated');
      }
      if (!provider.warmed) {
        provider.warmed = true;
        clearTimeout(provider.timer);
        warmedAny = true;
      }
    }
    if (warmedAny) this.notifyWarm();
    return undefined;
  }

  private fetchTimedOut(p: Provider): void {
    if (p.warmed) return;
    p.warmed = true;
    this.options.stats.counter(`${statName(p.ref.name)}.init_fetch_timeout`).inc();
    this.log.warn({ secret: p.ref.name, source: p.ref.sourceKey, timeoutMs: p.ref.initialFetchTimeoutMs }, 'secret did not arrive within the initial fetch timeout; warming ends without it');
    this.notifyWarm();
  }

  private notifyWarm(): void {
    for (const l of this.warmListeners) l();
  }
}
