import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Journal } from '../journal/types.ts';
import type { RequestRecord } from '../recording.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** `dir/{journal.json, junit.xml, report.html, requests.jsonl}`, each written whole or not at all. */
export async function writeReports(
  journal: Journal,
  requests: readonly RequestRecord[],
  dir: string,
): Promise<{ dir: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['journal.json', `${JSON.stringify(journal, null, 2)}\n`],
    ['junit.xml', renderJunit(journal)],
    ['report.html', renderHtml(journal)],
    ['requests.jsonl', requests.map((r) => JSON.stringify(r)).join('\n') + (requests.length ? '\n' : '')],
  ];
  for (const [name, text] of files) await writeAtomically(join(dir, name), text);
  return { dir, files: files.map(([name]) => join(dir, name)) };
}
