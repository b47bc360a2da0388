import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** scripts/bundle.mjs defines it as the compiled chart: dist/ has no .ts files to compile. */
declare const FAULTLINE_TIMELINE_CHART: string | undefined;

/** Bundles timeline-chart/ into one plain script for a `<script>` element of report.html. */
export function compileTimelineChart(): string {
  // Loaded here rather than imported: the bundled CLI never compiles, so it never loads esbuild.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const { outputFiles } = buildSync({
    // Also names the files in the output's comments: relative to it, so no machine's path shows.
    absWorkingDir: fileURLToPath(new URL('./timeline-chart/', import.meta.url)),
    entryPoints: ['main.ts'],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    minify: false,
    logLevel: 'silent',
  });
  const [script] = outputFiles;
  if (!script) throw new Error('esbuild wrote no timeline chart script');
  return script.text;
}

let compiled: string | undefined;

/** The chart script, compiled at the first call when not built in. */
export function timelineChartScript(): string {
  compiled ??=
    typeof FAULTLINE_TIMELINE_CHART === 'string' ? FAULTLINE_TIMELINE_CHART : compileTimelineChart();
  return compiled;
}
