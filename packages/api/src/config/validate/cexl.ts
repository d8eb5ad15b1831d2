// Syntax check for Mixer's CEXL (a Go-expression subset: selectors, index, calls, ! - || && == != < <= > >= | +);
// types are not checked, since that needs the attribute manifest.

/** Functions CEXL knows (Mixer's lang externs); called as f(x) or, for the string ones, x.f(y). */
export const CEXL_FUNCTIONS: ReadonlySet<string> = new Set([
  'match', 'matches', 'startsWith', 'endsWith', 'email', 'dnsName', 'ip', 'timestamp', 'uri', 'emptyStringMap',
  'conditional', 'conditionalString', 'toLower', 'size', 'reverse',
]);

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'end'; text: string; pos: number };

const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '|', '+', '-', '!', '(', ')', '[', ']', ',', '.'];
const PRECEDENCE: Readonly<Record<string, number>> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3, '|': 4, '+': 4, '-': 4 };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const m =
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ?? /^(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?/.exec(rest) ?? /^"(\\.|[^"\\\n])*"/.exec(rest) ?? /^`[^`]*`/.exec(rest);
    if (m !== null) {
      const kind = /^[A-Za-z_]/.test(c) ? 'ident' : c === '"' || c === '`' ? 'string' : 'number';
      tokens.push({ kind, text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op === undefined) throw new CexlError(c === '"' ? 'unterminated string' : `unexpected character ${JSON.stringify(c)}`, i);
    tokens.push({ kind: 'op', text: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: src.length });
  return tokens;
}

class CexlError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] ?? { kind: 'end', text: '', pos: 0 };
  }

  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw new CexlError(`expected ${JSON.stringify(text)}, found ${describe(t)}`, t.pos);
  }

  parseAll(): void {
    this.expr(1);
    const t = this.peek();
    if (t.kind !== 'end') throw new CexlError(`unexpected ${describe(t)}`, t.pos);
  }

  private expr(minPrec: number): void {
    this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return;
      this.next();
      this.expr(prec + 1);
    }
  }

  private unary(): void {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '!' || t.text === '-')) {
      this.next();
      this.unary();
      return;
    }
    this.primary();
  }

  private primary(): void {
    const t = this.next();
    if (t.kind === 'string' || t.kind === 'number') return this.postfix(false);
    if (t.kind === 'op' && t.text === '(') {
      this.expr(1);
      this.expect(')');
      return this.postfix(false);
    }
    if (t.kind !== 'ident') throw new CexlError(`unexpected ${describe(t)}`, t.pos);
    if (this.peek().text === '(') return this.call(t);
    this.postfix(true);
  }

  /** Selectors (`a.b`), index (`a["k"]`) and method calls (`a.startsWith("x")`). */
  private postfix(selectorAllowed: boolean): void {
    for (;;) {
      const t = this.peek();
      if (t.text === '.') {
        this.next();
        const name = this.next();
        if (name.kind !== 'ident') throw new CexlError(`expected a name after ".", found ${describe(name)}`, name.pos);
        if (this.peek().text === '(') this.call(name);
        else if (!selectorAllowed) throw new CexlError(`unexpected ".${name.text}"`, name.pos);
      } else if (t.text === '[') {
        this.next();
        this.expr(1);
        this.expect(']');
      } else {
        return;
      }
    }
  }

  private call(name: Token): void {
    if (!CEXL_FUNCTIONS.has(name.text)) throw new CexlError(`unknown function ${JSON.stringify(name.text)}`, name.pos);
    this.expect('(');
    if (this.peek().text !== ')') {
      this.expr(1);
      while (this.peek().text === ',') {
        this.next();
        this.expr(1);
      }
    }
    this.expect(')');
    this.postfix(false);
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of expression' : JSON.stringify(t.text);
}

/** Returns why `expression` is not valid CEXL, or undefined. An empty expression means "true". */
export function checkCexl(expression: string): string | undefined {
  if (expression.trim() === '') return undefined;
  try {
    new Parser(tokenize(expression)).parseAll();
    return undefined;
  } catch (e) {
    if (e instanceof CexlError) return `invalid expression ${JSON.stringify(expression)}: ${e.message} at offset ${e.pos}`;
    throw e;
  }
}
