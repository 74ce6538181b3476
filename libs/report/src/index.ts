export { chartSpecs, type ChartSpec, type VegaLiteSpec } from './chart-specs';
export { renderChart, type RenderedChart } from './render-chart';
export { reportTables, type ReportTable } from './report-tables';
export { reportHtml, tablesMarkdown } from './report-html';
export { writeReport, type WrittenReport } from './write-report';
