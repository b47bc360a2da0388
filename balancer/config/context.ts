import type { Segment } from '../../core/validation/messages.ts';

/** Where build steps report problems, and how they learn that the schema already dropped a field. */
export interface BuildContext {
  problem(segments: Segment[], message: string): void;
  /** True when the schema rejected this field or something inside it (its value was dropped). */
  broken(segments: Segment[]): boolean;
  /** True when the schema rejected this very field (not only something inside it). */
  rejected(segments: Segment[]): boolean;
}

/** The same context, for paths below `prefix`. */
export function scope(ctx: BuildContext, prefix: Segment[]): BuildContext {
  return {
    problem: (segments, message) => ctx.problem([...prefix, ...segments], message),
    broken: (segments) => ctx.broken([...prefix, ...segments]),
    rejected: (segments) => ctx.rejected([...prefix, ...segments]),
  };
}

/** Drops undefined fields so that they do not overwrite defaults in a spread. */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
