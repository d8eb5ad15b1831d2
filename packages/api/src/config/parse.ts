// Multi-document YAML → plain values, with syntax errors as Issues (document index + line) and a
// path → line map per document so validation issues can point at the offending line.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import type { Issue, ValidationResult } from './issue.js';
import type { PathSegment } from './validate/context.js';

export interface ParsedDocument {
  /** 0-based position in the YAML stream, counting empty documents, so `---` separators can be counted. */
  readonly index: number;
  readonly source?: string;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  /** The document as plain JSON-like data. */
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  readonly lineOf: (path: readonly PathSegment[]) => number | undefined;
}

export interface ParseResult extends ValidationResult {
  /** Non-empty documents that parsed without syntax errors. */
  readonly documents: ParsedDocument[];
}

// kubectl reads YAML like go-yaml v2: YAML 1.1 booleans (yes/no/on/off) and octal, but timestamps and
// sexagesimal numbers stay strings. Those tags are dropped so "1:20" is not 80.
const DROPPED_TAGS = new Set(['tag:yaml.org,2002:timestamp']);

export function parseConfigYaml(text: string, source?: string): ParseResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: false,
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || !(DROPPED_TAGS.has(t.tag) || t.format === 'TIME')),
  });
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const documents: ParsedDocument[] = [];
  const at = (document: number, offset: number | undefined): Issue =>
    ({
      path: '',
      message: '',
      document,
      ...(source !== undefined ? { source } : {}),
      ...(offset !== undefined ? { line: lineCounter.linePos(offset).line } : {}),
    }) as Issue;
  Array.from(docs).forEach((doc, index) => {
    for (const e of doc.errors) errors.push({ ...at(index, e.pos[0]), message: `YAML syntax error: ${e.message}` });
    for (const w of doc.warnings) warnings.push({ ...at(index, w.pos[0]), message: `YAML: ${w.message}` });
    // A document holding only comments (or nothing) between separators is skipped, as kubectl does.
    if (doc.errors.length > 0 || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      errors.push({ ...at(index, doc.contents.range?.[0]), message: `YAML error: ${(e as Error).message}` });
      return;
    }
    const start = doc.contents.range?.[0] ?? 0;
    documents.push({
      index,
      ...(source !== undefined ? { source } : {}),
      line: lineCounter.linePos(start).line,
      value,
      lineOf: (path) => lineOfPath(doc, path, lineCounter),
    });
  });
  return { documents, errors, warnings };
}

/** Walks the YAML AST along `path`; the line of a map entry is the line of its key. */
function lineOfPath(doc: Document, path: readonly PathSegment[], lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0];
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!isSeq(node)) break;
      node = node.items[seg];
      const range = (node as YamlNode | undefined)?.range;
      if (range === undefined || range === null) break;
      offset = range[0];
      continue;
    }
    const key = typeof seg === 'string' ? seg : seg.key;
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (pair === undefined) break;
    const keyRange = (pair.key as YamlNode).range;
    if (keyRange !== undefined && keyRange !== null) offset = keyRange[0];
    node = pair.value;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
