import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { formatPath, issueMessage, type Segment } from './messages.ts';

/** Maps a field path to the line (1-based) of the text it came from. */
export type Locate = (segments: readonly Segment[]) => number | undefined;

/**
 * The line of a field: for a mapping key its key's line (so `servers:` rather than its first
 * item), for a list item the item's line. A field that does not exist (a required one that is
 * missing) points at the nearest enclosing field that does; a missing top-level field has no line.
 */
export function makeLocator(doc: Document, lineCounter: LineCounter): Locate {
  const lineOf = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return (segments) => {
    let node: unknown = doc.contents;
    let line: number | undefined;
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        line = lineOf(isScalar(pair.key) ? pair.key : undefined) ?? lineOf(pair.value as Node | null);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        line = lineOf(item);
        node = item;
      } else break;
    }
    return segments.length === 0 ? lineOf(doc.contents as Node | null) : line;
  };
}

/** Zod's issues as config issues: the field path, the human message, and the line when known. */
export function locatedIssues(issues: readonly z.core.$ZodIssue[], lineOf: Locate): ConfigIssue[] {
  return issues.map((issue) => {
    const segments = issue.path as Segment[];
    const line = lineOf(segments);
    return { path: formatPath(segments), message: issueMessage(issue), ...(line ? { line } : {}) };
  });
}
