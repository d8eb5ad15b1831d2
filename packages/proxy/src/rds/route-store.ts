// Route configurations by name (RDS and inline), compiled once when they arrive.
import type { RouteConfiguration__Output } from '@weft/api';
import { formatIssues } from '@weft/base';
import { compileRouteConfiguration, type RouteTable, type RouteTableOptions } from '../router/index.js';

export class RouteStore {
  private readonly tables = new Map<string, RouteTable>();
  private readonly configs = new Map<string, RouteConfiguration__Output>();
  /** Warnings of the last applied update (accepted, not enforced fields...), for the caller to log. */
  warnings: readonly string[] = [];

  constructor(private readonly options: RouteTableOptions = {}) {}

  get(name: string): RouteTable | undefined {
    return this.tables.get(name);
  }

  has(name: string): boolean {
    return this.tables.has(name);
  }

  all(): RouteConfiguration__Output[] {
    return [...this.configs.values()];
  }

  /** Compiles every route config first; applies none if any fails (the NACK names each problem). */
  apply(added: readonly RouteConfiguration__Output[], removed: readonly string[]): string | undefined {
    const compiled: [RouteConfiguration__Output, RouteTable][] = [];
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const rc of added) {
      const r = compileRouteConfiguration(rc, this.options);
      if (r.errors.length > 0 || !r.value) problems.push(`route config ${rc.name}: ${formatIssues(r.errors)}`);
      else compiled.push([rc, r.value]);
      if (r.warnings.length > 0) warnings.push(`route config ${rc.name}: ${formatIssues(r.warnings)}`);
    }
    if (problems.length > 0) return problems.join('\n');
    this.warnings = warnings;
    for (const name of removed) {
      this.tables.delete(name);
      this.configs.delete(name);
    }
    for (const [rc, table] of compiled) {
      this.tables.set(rc.name, table);
      this.configs.set(rc.name, rc);
    }
    return undefined;
  }
}
