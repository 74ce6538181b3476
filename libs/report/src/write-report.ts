import { join, relative } from 'node:path';
import { analysisTables, type CampaignAnalysis } from '@lth/core';
import { writeFileAtomically } from '@lth/store';
import { chartSpecs } from './chart-specs';
import { renderChart } from './render-chart';
import { reportHtml } from './report-html';
import { reportTables } from './report-tables';

export interface WrittenReport {
  html: string;
  charts: string[];
  tables: string[];
}

/**
 * Writes the report of an analysis: `out` (report.html), each chart as SVG and PNG under `charts/` and
 * each table as CSV under `tables/`, both beside it. Every file is written atomically; the HTML last, so
 * a report that exists links only files that do.
 */
export async function writeReport(a: CampaignAnalysis, out: string): Promise<WrittenReport> {
  const dir = join(out, '..');
  const chartPath = (name: string, ext: 'svg' | 'png') => join(dir, 'charts', `${name}.${ext}`);
  const csvPath = (name: string) => join(dir, 'tables', name);
  const charts = [];
  for (const spec of chartSpecs(a)) {
    const rendered = await renderChart(spec.spec);
    await writeFileAtomically(chartPath(spec.name, 'svg'), rendered.svg);
    await writeFileAtomically(chartPath(spec.name, 'png'), rendered.png);
    charts.push({ ...spec, svg: rendered.svg });
  }
  const csvs = analysisTables(a);
  for (const [name, text] of csvs) await writeFileAtomically(csvPath(name), text);
  const html = reportHtml(a, charts, reportTables(a), {
    chart: (name, ext) => relative(dir, chartPath(name, ext)),
    csvs: csvs.map(([name]) => relative(dir, csvPath(name))),
  });
  await writeFileAtomically(out, html);
  return {
    html: out,
    charts: charts.flatMap((c) => [chartPath(c.name, 'svg'), chartPath(c.name, 'png')]),
    tables: csvs.map(([name]) => csvPath(name)),
  };
}
