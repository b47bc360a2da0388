import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { assertPrivateFile, makePrivateDir, PRIVATE_FILE_MODE } from './private-files.ts';
import type { RevertRecord } from './types.ts';

export const DEFAULT_LEDGER = '.faultline/ledger.jsonl';

/** Where the ledger lives: --ledger, then FAULTLINE_LEDGER, then .faultline/ledger.jsonl in the cwd. */
export function ledgerPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.FAULTLINE_LEDGER ?? DEFAULT_LEDGER);
}

export type LedgerLine =
  | {
      type: 'planned';
      id: string;
      at: string;
      pid: number;
      fault: string;
      target: string;
      params: unknown;
      description: string;
      revert: RevertRecord;
    }
  | { type: 'applied'; id: string; at: string }
  | { type: 'apply-failed'; id: string; at: string; error: string }
  | { type: 'reverted'; id: string; at: string; outcome: 'reverted' | 'nothing-to-do' }
  | { type: 'revert-failed'; id: string; at: string; error: string };

export type PlannedLine = Extract<LedgerLine, { type: 'planned' }>;

export interface OutstandingFault extends PlannedLine {
  state: 'planned' | 'applied' | 'apply-failed' | 'revert-failed';
}

/**
 * The fault ledger: an append-only JSON-lines file, synced to disk on every line. A fault is
 * planned (with its revert record) before it is applied, so whatever happens to the process
 * that injected it, `faultline revert` finds everything still to undo. It names processes and
 * containers to act on, so it is created 0600 and refused when others could have written it.
 */
export class Ledger {
  constructor(readonly file: string) {}

  plan(entry: Omit<PlannedLine, 'type' | 'id' | 'at' | 'pid'>): PlannedLine {
    const line: PlannedLine = {
      type: 'planned',
      id: randomUUID(),
      at: new Date().toISOString(),
      pid: process.pid,
      ...entry,
    };
    this.append(line);
    return line;
  }

  applied(id: string): void {
    this.append({ type: 'applied', id, at: new Date().toISOString() });
  }

  applyFailed(id: string, error: string): void {
    this.append({ type: 'apply-failed', id, at: new Date().toISOString(), error });
  }

  reverted(id: string, outcome: 'reverted' | 'nothing-to-do'): void {
    this.append({ type: 'reverted', id, at: new Date().toISOString(), outcome });
  }

  revertFailed(id: string, error: string): void {
    this.append({ type: 'revert-failed', id, at: new Date().toISOString(), error });
  }

  /** Faults planned and not yet reverted, oldest first. A torn last line (crash mid-write) is skipped. */
  outstanding(): OutstandingFault[] {
    if (!existsSync(this.file)) return [];
    assertPrivateFile(this.file, 'fault ledger');
    const byId = new Map<string, OutstandingFault>();
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      let line: LedgerLine;
      try {
        line = JSON.parse(text) as LedgerLine;
      } catch {
        continue;
      }
      if (line.type === 'planned') byId.set(line.id, { ...line, state: 'planned' });
      else if (line.type === 'reverted') byId.delete(line.id);
      else {
        const entry = byId.get(line.id);
        if (entry) entry.state = line.type;
      }
    }
    return [...byId.values()];
  }

  private append(line: LedgerLine): void {
    makePrivateDir(this.file);
    assertPrivateFile(this.file, 'fault ledger');
    const fd = openSync(this.file, 'a+', PRIVATE_FILE_MODE);
    try {
      // A line torn by a crash mid-write must not swallow the next one.
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(line)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
