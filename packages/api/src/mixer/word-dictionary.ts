// Mixer's two-level string dictionary: index i >= 0 is global word i, index -1-i is message word i.
import { GLOBAL_WORD_INDEX, GLOBAL_WORDS } from './global-dictionary.js';

const globalIndexes = new WeakMap<readonly string[], ReadonlyMap<string, number>>([[GLOBAL_WORDS, GLOBAL_WORD_INDEX]]);

function globalIndexOf(globalWords: readonly string[]): ReadonlyMap<string, number> {
  let index = globalIndexes.get(globalWords);
  if (!index) {
    index = new Map(globalWords.map((word, i) => [word, i]));
    globalIndexes.set(globalWords, index);
  }
  return index;
}

/**
 * Assigns indices while one message is encoded. A word uses its global index only when that index
 * is below `globalWordCount` (the count the peer declared it knows); every other word is appended
 * to the message dictionary once and referenced as -1-position, as Istio's dictState does.
 */
export class WordEncoder {
  private readonly global: ReadonlyMap<string, number>;
  private readonly local = new Map<string, number>();
  private readonly list: string[] = [];

  constructor(
    private readonly globalWordCount: number,
    globalWords: readonly string[] = GLOBAL_WORDS,
  ) {
    this.global = globalIndexOf(globalWords);
  }

  indexOf(word: string): number {
    const g = this.global.get(word);
    if (g !== undefined && g < this.globalWordCount) return g;
    let l = this.local.get(word);
    if (l === undefined) {
      l = -1 - this.list.length;
      this.list.push(word);
      this.local.set(word, l);
    }
    return l;
  }

  /** The message dictionary built so far (the `words` field). */
  get words(): string[] {
    return [...this.list];
  }
}

/** Resolving an index failed: which index, and why. */
export interface WordLookupError {
  index: number;
  message: string;
}

/** Resolves indices of one received message; never throws. */
export class WordDecoder {
  constructor(
    private readonly words: readonly string[],
    private readonly globalWordCount: number,
    private readonly globalWords: readonly string[] = GLOBAL_WORDS,
  ) {}

  /** A word, or the reason the index resolves to none. */
  lookup(index: number): string | WordLookupError {
    if (!Number.isInteger(index)) return { index, message: `word index ${index} is not an integer` };
    if (index >= 0) {
      const limit = Math.min(this.globalWordCount, this.globalWords.length);
      const word = index < limit ? this.globalWords[index] : undefined;
      return word ?? { index, message: `global word index ${index} is not below the global word count ${limit}` };
    }
    const slot = -index - 1;
    return (
      this.words[slot] ??
      { index, message: `message word index ${index} is past the message dictionary (${this.words.length} words)` }
    );
  }
}
