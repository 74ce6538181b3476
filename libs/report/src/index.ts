export { chartSpecs, type ChartSpec, type VegaLiteSpec } from './chart-specs';
export { renderChart, type RenderedChart } from './render-chart';
export { reportTables, type ReportTable } from './report-tables';
export {
  reportHtml,
  tablesMarkdown,
  generatedResultsTables,
  replaceGeneratedBlock,
  GENERATED_BEGIN,
  GENERATED_END,
} from './report-html';
export { writeReport, type WrittenReport } from './write-report';
