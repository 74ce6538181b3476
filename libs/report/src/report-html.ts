import type { CampaignAnalysis } from '@lth/core';
import type { ChartSpec } from './chart-specs';
import type { ReportTable } from './report-tables';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body { font-family: 'DejaVu Sans', sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
figure { margin: 1rem 0; overflow-x: auto; } figcaption { color: #555; font-size: 0.9rem; margin-top: 0.4rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; } .meta { color: #555; font-size: 0.9rem; } a { color: #1f5fa8; }
`;

/**
 * The report: one HTML file with every chart inlined as SVG and every table as HTML; no script, no
 * stylesheet or font from anywhere else, so it opens offline and can be mailed. `files` links each figure's
 * and table's files beside it (relative paths).
 */
export function reportHtml(
  a: CampaignAnalysis,
  charts: readonly (ChartSpec & { svg: string })[],
  tables: readonly ReportTable[],
  files: { chart: (name: string, ext: 'svg' | 'png') => string; csvs: readonly string[] },
): string {
  const figure = (c: ChartSpec & { svg: string }) => `
<h2 id="${c.name}">${escape(c.title)}</h2>
<figure data-chart="${c.name}">${c.svg}
<figcaption>${escape(c.caption)}
<a href="${files.chart(c.name, 'svg')}">SVG</a> · <a href="${files.chart(c.name, 'png')}">PNG</a></figcaption>
</figure>`;
  const table = (t: ReportTable) => `
<h2 id="${t.name}">${escape(t.title)}</h2>
<table data-table="${t.name}"><thead><tr>${t.columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
  const csvLinks = files.csvs.map((path) => `<a href="${path}">${escape(path.split('/').pop()!)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>lth report: ${escape(a.campaign)}</title><style>${STYLE}</style></head>
<body>
<h1>Lottery tickets: ${escape(a.campaign)}</h1>
<p class="meta">Backend ${escape(a.backend)} · matching rule: ${escape(a.matchingRule)} of the replicates
· tables as CSV: ${csvLinks}</p>
${charts.map(figure).join('\n')}
${tables.map(table).join('\n')}
</body></html>
`;
}

/** The same tables as Markdown (docs/results.md): cells escaped for pipes. */
export function tablesMarkdown(tables: readonly ReportTable[]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return tables
    .map((t) =>
      [`### ${t.title}`, '', line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}
