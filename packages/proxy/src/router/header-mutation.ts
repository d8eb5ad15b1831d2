// headers_to_add / headers_to_remove, as Envoy's HeaderParser applies them: each level removes first,
// then adds in order. Levels are concatenated by the route table in Envoy's evaluation order, so a
// connection manager applies one flat list and later entries win.
import type { IssueCollector } from '@weft/base';
import type { HeaderValueOptionConfig } from './config-types.js';
import { compileHeaderFormat, type CompiledHeaderFormat, type HeaderFormatInput } from './header-format.js';

export type HeaderAppendAction = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';

export type HeaderMutation =
  | { readonly op: 'remove'; readonly name: string }
  | {
      readonly op: 'add';
      readonly name: string;
      /** Literal text, or an Envoy header format such as `%DOWNSTREAM_REMOTE_ADDRESS%` when `formatted`. */
      readonly value: string;
      readonly action: HeaderAppendAction;
      readonly keepEmptyValue: boolean;
      readonly formatted: boolean;
      /** The compiled `%VARIABLE%` format when `formatted`. */
      readonly compiled?: CompiledHeaderFormat;
    };

/** The header map a connection manager hands to applyHeaderMutations. Names are lower-case. */
export interface MutableHeaders {
  has(name: string): boolean;
  /** Adds one more value (a separate header line / HPACK entry). */
  add(name: string, value: string): void;
  /** Replaces every value. */
  set(name: string, value: string): void;
  remove(name: string): void;
}

/** Expands `%VARIABLE%` formats; supplied by the connection manager, which has the stream info. */
export type HeaderValueFormatter = (format: string) => string;

/**
 * One level's mutations: its removals, then its additions. `:`-prefixed headers may not be added or
 * removed and `host` may not be removed (HeaderParser::configure).
 */
export function compileHeaderMutations(
  toAdd: readonly HeaderValueOptionConfig[],
  toRemove: readonly string[],
  issues: IssueCollector,
  addField: string,
  removeField: string,
): HeaderMutation[] {
  const out: HeaderMutation[] = [];
  toRemove.forEach((raw, i) => {
    const name = raw.toLowerCase();
    if (!name || name.startsWith(':') || name === 'host') {
      issues.at(removeField, i).error(`header ${JSON.stringify(raw)} may not be removed`);
    } else {
      out.push({ op: 'remove', name });
    }
  });
  toAdd.forEach((option, i) => {
    const at = issues.at(addField, i);
    const name = (option.header?.key ?? '').toLowerCase();
    if (!name || name.startsWith(':')) {
      at.at('header', 'key').error(`header ${JSON.stringify(option.header?.key ?? '')} may not be added`);
      return;
    }
    const action = appendAction(option, at);
    const raw = option.header?.value ?? '';
    const formatted = hasVariables(raw);
    let compiled: CompiledHeaderFormat | undefined;
    if (formatted) {
      const c = compileHeaderFormat(raw);
      for (const e of c.errors) at.at('header', 'value').error(e);
      compiled = c.format;
    }
    out.push({
      op: 'add',
      name,
      value: formatted ? raw : raw.replaceAll('%%', '%'),
      action,
      keepEmptyValue: option.keep_empty_value,
      formatted,
      ...(compiled ? { compiled } : {}),
    });
  });
  return out;
}

/** The deprecated `append` flag wins when set (true → append, false → overwrite); both set is an error. */
function appendAction(option: HeaderValueOptionConfig, issues: IssueCollector): HeaderAppendAction {
  const action = option.append_action as HeaderAppendAction;
  if (option.append === null) return action;
  if (action !== 'APPEND_IF_EXISTS_OR_ADD') issues.error('append and append_action are both set');
  return option.append.value ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
}

/** True when the value holds a `%` that is not part of a `%%` escape. */
function hasVariables(value: string): boolean {
  for (let i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i + 2)) {
    if (value[i + 1] !== '%') return true;
  }
  return false;
}

/**
 * Applies mutations in order. Formatted values need `format` (a stream's HeaderFormatInput, or a
 * function of the raw format); without it they are skipped.
 */
export function applyHeaderMutations(
  mutations: readonly HeaderMutation[],
  headers: MutableHeaders,
  format?: HeaderValueFormatter | HeaderFormatInput,
): void {
  for (const m of mutations) {
    if (m.op === 'remove') {
      headers.remove(m.name);
      continue;
    }
    let value = m.value;
    if (m.formatted) {
      if (!format) continue;
      if (typeof format === 'function') value = format(value);
      else if (m.compiled) value = m.compiled(format);
      else continue;
    }
    if (!value && !m.keepEmptyValue) continue;
    switch (m.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        headers.add(m.name, value);
        break;
      case 'ADD_IF_ABSENT':
        if (!headers.has(m.name)) headers.add(m.name, value);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers.set(m.name, value);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (headers.has(m.name)) headers.set(m.name, value);
        break;
    }
  }
}

/** One header to add, in the `{ key, value, append }` shape of core.v3.HeaderValueOption. */
export interface HeaderToAdd {
  readonly key: string;
  readonly value: string;
  /** true for APPEND_IF_EXISTS_OR_ADD; overwrite otherwise (see `action` for the exact rule). */
  readonly append: boolean;
  readonly action: HeaderAppendAction;
  readonly keepEmptyValue: boolean;
  readonly formatted: boolean;
}

/**
 * The same mutations as two lists, every removal then every addition. Exact unless a later level
 * removes a header an earlier level adds; the ordered list is exact always.
 */
export function flattenHeaderMutations(mutations: readonly HeaderMutation[]): { toAdd: HeaderToAdd[]; toRemove: string[] } {
  const toAdd: HeaderToAdd[] = [];
  const toRemove: string[] = [];
  for (const m of mutations) {
    if (m.op === 'remove') {
      toRemove.push(m.name);
    } else {
      toAdd.push({
        key: m.name,
        value: m.value,
        append: m.action === 'APPEND_IF_EXISTS_OR_ADD',
        action: m.action,
        keepEmptyValue: m.keepEmptyValue,
        formatted: m.formatted,
      });
    }
  }
  return { toAdd, toRemove };
}

/** The four header fields every level (route configuration, virtual host, route, weighted cluster) has. */
export interface HeaderLevelConfig {
  readonly request_headers_to_add: readonly HeaderValueOptionConfig[];
  readonly request_headers_to_remove: readonly string[];
  readonly response_headers_to_add: readonly HeaderValueOptionConfig[];
  readonly response_headers_to_remove: readonly string[];
}

/** One level's request and response mutations. */
export function compileLevelMutations(
  level: HeaderLevelConfig,
  issues: IssueCollector,
): { request: HeaderMutation[]; response: HeaderMutation[] } {
  const { request_headers_to_add: reqAdd, request_headers_to_remove: reqRemove } = level;
  const { response_headers_to_add: resAdd, response_headers_to_remove: resRemove } = level;
  return {
    request: compileHeaderMutations(reqAdd, reqRemove, issues, 'request_headers_to_add', 'request_headers_to_remove'),
    response: compileHeaderMutations(resAdd, resRemove, issues, 'response_headers_to_add', 'response_headers_to_remove'),
  };
}
