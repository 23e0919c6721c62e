/**
 * `compare --svg FILE`: compression ratio against compress throughput, one
 * labelled point per row, drawn by Vega-Lite (compiled to Vega, rendered to
 * SVG headless: no browser, no canvas). Both are loaded only when a chart is
 * asked for.
 */
import type { CompareResult } from './report.js';

/** The row label on the chart: "zstd l3 x2". */
export function pointLabel(r: { method: string; level: number | null; channels: number }): string {
  return `${r.method}${r.level === null ? '' : ` l${r.level}`} x${r.channels}`;
}

/** The Vega-Lite specification of the chart. */
export function chartSpec(result: CompareResult): Record<string, unknown> {
  const values = result.rows.map((r) => ({
    label: pointLabel(r),
    method: r.method,
    channels: r.channels,
    ratio: Number(r.ratio.toFixed(3)),
    compress: Number(r.compress.mbps.toFixed(1)),
    decompress: Number(r.decompress.mbps.toFixed(1)),
  }));
  const x = { field: 'compress', type: 'quantitative', title: 'compress throughput (MB/s of input, all channels)', scale: { zero: true } };
  const y = { field: 'ratio', type: 'quantitative', title: 'compression ratio (input / wire bytes)', scale: { zero: true } };
  const inputMb = (result.input.bytes / 1e6).toFixed(0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'multifd compare: ratio against throughput', subtitle: `${result.input.sources.join(', ')} (${inputMb} MB), ${result.host.cpus} CPUs` },
    width: 560,
    height: 360,
    background: 'white',
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x,
          y,
          color: { field: 'method', type: 'nominal', title: 'method' },
          shape: { field: 'channels', type: 'ordinal', title: 'channels' },
          tooltip: [{ field: 'label' }, { field: 'ratio' }, { field: 'compress' }, { field: 'decompress' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 },
        encoding: { x, y, text: { field: 'label' }, color: { field: 'method', type: 'nominal', legend: null } },
      },
    ],
  };
}

/** The chart as an SVG document. */
export async function renderSvg(result: CompareResult): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(chartSpec(result) as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
