// Multi-document YAML → plain values, with syntax errors as Issues (document index + line) and a
// path → line map per document so validation issues can point at the offending line.
import { Composer, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, type CST, type Document, type Node as YamlNode } from 'yaml';
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

/**
 * Deepest nesting of mappings and sequences (block or flow) a document may have; the root collection is
 * level 1. Istio objects rarely need 20 levels. Composing and converting YAML recurse once per level, so a
 * deeper document would overflow the stack; it is refused while parsing instead (docs/reference/errors.md).
 */
export const MAX_YAML_NESTING = 100;
const TOO_DEEP_CODE = 'WEFT_API_YAML_TOO_DEEP';

interface TooDeep {
  /** Index of the document in the stream. */
  readonly document: number;
  /** Offset of the collection that opens level MAX_YAML_NESTING + 1. */
  readonly offset: number;
}

function isCollectionToken(t: CST.Token): t is CST.BlockMap | CST.BlockSequence | CST.FlowCollection {
  return t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection';
}

/**
 * Feeds the lexer's tokens to the CST parser (which keeps open collections on an explicit stack, without
 * recursion) and stops at the first document nested deeper than MAX_YAML_NESTING, before anything recurses
 * over it. The documents before it are still composed; the rest of the stream is not read.
 */
function* boundedCst(text: string, parser: Parser, stopped: (tooDeep: TooDeep) => void): Generator<CST.Token> {
  let documents = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) {
      if (token.type === 'document') documents++;
      yield token;
    }
    // The stack holds the document and what is open inside it; counting only runs past the limit.
    if (parser.stack.length <= MAX_YAML_NESTING) continue;
    const open = parser.stack.filter(isCollectionToken);
    const deepest = open[MAX_YAML_NESTING];
    if (deepest !== undefined) {
      stopped({ document: documents, offset: deepest.offset });
      return;
    }
  }
  yield* parser.end();
}

function composeDocuments(text: string, lineCounter: LineCounter): { docs: Document.Parsed[]; tooDeep?: TooDeep } {
  const composer = new Composer({
    version: '1.1',
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || !(DROPPED_TAGS.has(t.tag) || t.format === 'TIME')),
  });
  // Driving the parser token by token skips Parser.parse(), which reports the first line start itself.
  lineCounter.addNewLine(0);
  const parser = new Parser(lineCounter.addNewLine);
  let tooDeep: TooDeep | undefined;
  const docs = Array.from(composer.compose(boundedCst(text, parser, (t) => (tooDeep = t))));
  return { docs, ...(tooDeep !== undefined ? { tooDeep } : {}) };
}

export function parseConfigYaml(text: string, source?: string): ParseResult {
  const lineCounter = new LineCounter();
  const { docs, tooDeep } = composeDocuments(text, lineCounter);
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
  if (tooDeep !== undefined) {
    errors.push({
      ...at(tooDeep.document, tooDeep.offset),
      message: `YAML nested too deeply: more than ${MAX_YAML_NESTING} levels of mappings and sequences; the rest of the file is not read (${TOO_DEEP_CODE})`,
    });
  }
  docs.forEach((doc, index) => {
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
