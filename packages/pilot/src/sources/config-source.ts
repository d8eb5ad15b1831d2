// The seam between Pilot and where config comes from (files now; MCP and Kubernetes later).
import type { Issue, IstioConfig } from '@weft/api';

/** What a source knows: the config in force, and the problems that kept some of it out. */
export interface ConfigState {
  /** The last good config of every input (a rejected input keeps its previous version). */
  readonly configs: readonly IstioConfig[];
  /** Inputs (files) whose current version was rejected, with every error. */
  readonly rejected: readonly RejectedInput[];
  /**
   * Monotonic counter, bumped on every change of `configs` and only then: a notification that leaves it
   * as it was changed `rejected` alone, so there is nothing to push.
   */
  readonly revision: number;
}

export interface RejectedInput {
  readonly source: string;
  readonly errors: readonly Issue[];
  /** When this version was first seen (ISO time); re-reading the same text does not change it. */
  readonly at: string;
}

export interface ConfigSource {
  readonly name: string;
  /** Loads once, then calls `onChange` after each change of the config in force or of `rejected`. */
  start(onChange: (state: ConfigState) => void): Promise<ConfigState>;
  stop(): Promise<void>;
  current(): ConfigState;
}
