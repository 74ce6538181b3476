import type { VegaLiteSpec } from './chart-specs';

/** A rendered figure: SVG text (the report inlines it) and the same drawing as PNG. */
export interface RenderedChart {
  svg: string;
  png: Uint8Array;
}

/**
 * Compiles a Vega-Lite spec with vega-lite and renders it with vega, headless (no canvas, no DOM), to SVG;
 * resvg rasterises that SVG to PNG at twice its size. vega and vega-lite are ES modules, hence the imports.
 */
export async function renderChart(spec: VegaLiteSpec): Promise<RenderedChart> {
  const [vegaLite, vega, { Resvg }] = await Promise.all([
    import('vega-lite'),
    import('vega'),
    import('@resvg/resvg-js'),
  ]);
  const warnings: string[] = [];
  const logger = { ...vega.logger(vega.Warn), warn: (...args: unknown[]) => (warnings.push(args.join(' ')), logger) };
  const compiled = vegaLite.compile(spec as never, { logger: logger as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: logger as never });
  try {
    const svg = await view.toSVG();
    if (warnings.length > 0) throw new Error(`the chart spec has problems: ${warnings.slice(0, 3).join('; ')}`);
    const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
