import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CampaignAnalysis } from '@lth/core';
import { analysisPath, analyzeDirectory, type AnalyzeFlags } from './analyze-command';

export interface ReportFlags extends AnalyzeFlags {
  out?: string;
}

const modified = (path: string) =>
  stat(path).then(
    (s) => s.mtimeMs,
    () => null,
  );

/**
 * `lth report DIR`: renders DIR/analysis.json (analysing first when it is missing, older than
 * results.json, or flags ask for another analysis) as one self-contained HTML file, with each chart as
 * SVG and PNG and each table as CSV beside it. Resolves with the report's path.
 */
export async function writeRunReport(dir: string, flags: ReportFlags, evaluation?: string): Promise<string> {
  const { writeReport } = await import('@lth/report');
  const [analysed, finished] = await Promise.all([modified(analysisPath(dir)), modified(join(dir, 'results.json'))]);
  // Flags that shape the analysis ask for a new one; so does a results.json newer than it.
  const shaped = [flags.round, flags.sigmas, flags.draws].some((f) => f !== undefined) || flags.sensitivity === false;
  const current = analysed !== null && finished !== null && analysed >= finished && !shaped;
  const analysis = current
    ? (JSON.parse(await readFile(analysisPath(dir), 'utf8')) as CampaignAnalysis)
    : (await analyzeDirectory(dir, flags, evaluation)).analysis;
  const written = await writeReport(analysis, resolve(flags.out ?? join(dir, 'report.html')));
  return written.html;
}
