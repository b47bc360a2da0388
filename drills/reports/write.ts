import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Journal } from '../journal/types.ts';
import { type HtmlExtras, renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * `dir/{journal.json, junit.xml, report.html}`, each written whole or not at all (a temporary
 * file in the same directory, synced, then renamed over the old one). `requests.jsonl` is not
 * here: the runner streams it into the same directory during the run (RunOptions.requestsFile).
 */
export async function writeReports(
  journal: Journal,
  dir: string,
  extras: HtmlExtras = {},
): Promise<{ dir: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['journal.json', `${JSON.stringify(journal, null, 2)}\n`],
    ['junit.xml', renderJunit(journal)],
    ['report.html', renderHtml(journal, extras)],
  ];
  for (const [name, text] of files) await writeAtomically(join(dir, name), text);
  return { dir, files: files.map(([name]) => join(dir, name)) };
}
