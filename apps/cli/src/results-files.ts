import { join } from 'node:path';
import { branchesToCsv, resultsJson, resultsToCsv, type CampaignResults } from '@lth/core';
import { writeFileAtomically } from '@lth/store';

/**
 * Writes a campaign's results into `outDir`, as `lth run` and `lth results` both do: results.json,
 * results.csv (one row per round) and, when the campaign has branches, branches.csv. Returns the names
 * written.
 */
export async function writeResultsFiles(outDir: string, results: CampaignResults): Promise<string[]> {
  const files: [string, string][] = [
    ['results.json', resultsJson(results)],
    ['results.csv', resultsToCsv(results)],
  ];
  if (results.experiments.some((e) => e.branches.length > 0)) files.push(['branches.csv', branchesToCsv(results)]);
  for (const [name, text] of files) await writeFileAtomically(join(outDir, name), text);
  return files.map(([name]) => name);
}
