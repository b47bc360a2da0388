import type { Candidate } from './types.ts';

export interface ConfiguredServer {
  readonly name: string;
  readonly weight: number;
}

/**
 * The pool's configured servers, for the hashing algorithms. Until the pool calls
 * `updateServers`, it is the union of every candidate seen so far. `onChange` runs only when
 * the names or weights actually change, so callers rebuild their tables only then.
 */
export class ServerList {
  private servers: ConfiguredServer[] = [];
  private names = new Set<string>();
  private configured = false;

  constructor(private readonly onChange: (servers: readonly ConfiguredServer[]) => void) {}

  set(all: readonly Candidate[]): void {
    this.configured = true;
    const next = all.map(({ name, weight }) => ({ name, weight }));
    const same =
      next.length === this.servers.length &&
      next.every((s, i) => s.name === this.servers[i]?.name && s.weight === this.servers[i]?.weight);
    if (!same) this.replace(next);
  }

  learn(candidates: readonly Candidate[]): void {
    if (this.configured) return;
    const unseen = candidates.filter((c) => !this.names.has(c.name));
    if (unseen.length > 0) {
      this.replace([...this.servers, ...unseen.map(({ name, weight }) => ({ name, weight }))]);
    }
  }

  private replace(next: ConfiguredServer[]): void {
    this.servers = next;
    this.names = new Set(next.map((s) => s.name));
    this.onChange(next);
  }
}
