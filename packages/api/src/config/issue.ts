// The one shape every validator, parser and CLI reports problems in, so Galley, Pilot and weftctl agree.

/** One validation problem. `path` is a dotted field path such as `spec.http[0].route[1].weight`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
  /** File name or other origin given to the parser. */
  readonly source?: string;
  /** 0-based index of the document in a multi-document YAML stream. */
  readonly document?: number;
  /** 1-based line in `source`, when the parser could map the path back to the text. */
  readonly line?: number;
  readonly kind?: string;
  readonly name?: string;
}

/** Errors reject the object (Galley's webhook denies it); warnings are advice. */
export interface ValidationResult {
  readonly errors: Issue[];
  readonly warnings: Issue[];
}

/** Renders an issue the way `weftctl validate` prints it: `file:line [doc 2] Kind/name spec.x: message`. */
export function formatIssue(issue: Issue): string {
  const where: string[] = [];
  if (issue.source !== undefined) where.push(issue.line !== undefined ? `${issue.source}:${issue.line}` : issue.source);
  else if (issue.line !== undefined) where.push(`line ${issue.line}`);
  if (issue.document !== undefined) where.push(`[doc ${issue.document}]`);
  if (issue.kind !== undefined) where.push(issue.name !== undefined ? `${issue.kind}/${issue.name}` : issue.kind);
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where.length > 0 ? `${where.join(' ')} ` : ''}${path}${issue.message}`;
}
