/**
 * `compare --svg FILE`: compression ratio against compress throughput, one
 * labelled point per row, drawn by Vega-Lite (compiled to Vega, rendered to
 * SVG headless: no browser, no canvas). Both are loaded only when a chart is
 * asked for.
 */
import { DEFAULT_PROFILE, wireProfile } from '@multifd/core';
import type { CompareResult } from './report.js';

/** The row label on the chart: "zstd l3 x2". */
export function pointLabel(r: { method: string; level: number | null; channels: number; profile?: string }): string {
  return `${r.method}${r.level === null ? '' : ` l${r.level}`} x${r.channels}${r.profile === undefined || r.profile === DEFAULT_PROFILE.name ? '' : ` q${wireProfile(r.profile).label}`}`;
}

const WIDTH = 640;
const HEIGHT = 400;
/** Approximate box of a 10 px sans-serif label (Vega measures text only with a canvas, which headless Node lacks). */
const CHAR_WIDTH = 5.8;
const LABEL_HEIGHT = 11;
const POINT_RADIUS = 6;

type Anchor = 'left' | 'right' | 'center';

/** Where a label may go relative to its point: offset in pixels and the text's alignment. */
const CANDIDATES: readonly { dx: number; dy: number; align: Anchor }[] = [
  { dx: 9, dy: 0, align: 'left' },
  { dx: -9, dy: 0, align: 'right' },
  { dx: 6, dy: -11, align: 'left' },
  { dx: 6, dy: 11, align: 'left' },
  { dx: -6, dy: -11, align: 'right' },
  { dx: -6, dy: 11, align: 'right' },
  { dx: 0, dy: -14, align: 'center' },
  { dx: 0, dy: 14, align: 'center' },
];

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function overlap(a: Box, b: Box): number {
  return Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
}

/**
 * Place each label next to its point (pixel coordinates), greedily: the
 * first candidate position that overlaps no point, no label placed before and
 * stays inside the plot, else the one that overlaps least.
 */
export function placeLabels(points: readonly { x: number; y: number; label: string }[]): { dx: number; dy: number; align: Anchor }[] {
  const obstacles: Box[] = points.map((p) => ({ x0: p.x - POINT_RADIUS, y0: p.y - POINT_RADIUS, x1: p.x + POINT_RADIUS, y1: p.y + POINT_RADIUS }));
  return points.map((p) => {
    const w = p.label.length * CHAR_WIDTH;
    let best: { c: (typeof CANDIDATES)[number]; cost: number; box: Box } | undefined;
    for (const c of CANDIDATES) {
      const x = p.x + c.dx;
      const x0 = c.align === 'left' ? x : c.align === 'right' ? x - w : x - w / 2;
      const box = { x0, x1: x0 + w, y0: p.y + c.dy - LABEL_HEIGHT / 2, y1: p.y + c.dy + LABEL_HEIGHT / 2 };
      const outside = box.x0 < 0 || box.x1 > WIDTH || box.y0 < 0 || box.y1 > HEIGHT ? w * LABEL_HEIGHT : 0;
      const cost = obstacles.reduce((sum, o) => sum + overlap(box, o), outside);
      if (!best || cost < best.cost) best = { c, cost, box };
      if (cost === 0) break;
    }
    obstacles.push(best!.box);
    return best!.c;
  });
}

/** A log domain from 1-2-5 steps around [min, max]. */
function logDomain(min: number, max: number): [number, number] {
  const steps = (v: number) => [1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(v)));
  const lo = Math.max(...steps(min / 1.3).filter((s) => s <= min / 1.3), 10 ** Math.floor(Math.log10(min / 1.3)));
  const hiCandidates = [...steps(max * 1.3), 10 * 10 ** Math.floor(Math.log10(max * 1.3))].filter((s) => s >= max * 1.3);
  return [lo, Math.min(...hiCandidates)];
}

/** A linear domain in steps of 0.5 around [min, max], with room above and below. */
function ratioDomain(min: number, max: number): [number, number] {
  const pad = Math.max(0.1, (max - min) * 0.08);
  return [Math.max(0, Math.floor((min - pad) * 2) / 2), Math.ceil((max + pad) * 2) / 2];
}

/**
 * The Vega-Lite specification of the chart: one point per row (colour:
 * method, shape: channels), each labelled ("zstd l3 x2") at a position
 * chosen by placeLabels over the chart's own scales.
 */
export function chartSpec(result: CompareResult): Record<string, unknown> {
  const rows = result.rows.map((r) => ({ r, x: Math.max(r.compress.mbps, 0.01) }));
  const xd = logDomain(Math.min(...rows.map((p) => p.x)), Math.max(...rows.map((p) => p.x)));
  const yd = ratioDomain(Math.min(...result.rows.map((r) => r.ratio)), Math.max(...result.rows.map((r) => r.ratio)));
  const lx = (v: number) => Math.log10(v);
  const toPx = (x: number, y: number) => ({ x: (WIDTH * (lx(x) - lx(xd[0]))) / (lx(xd[1]) - lx(xd[0])), y: HEIGHT * (1 - (y - yd[0]) / (yd[1] - yd[0])) });
  const fromPx = (px: number, py: number) => ({ x: 10 ** (lx(xd[0]) + (px / WIDTH) * (lx(xd[1]) - lx(xd[0]))), y: yd[0] + (1 - py / HEIGHT) * (yd[1] - yd[0]) });
  const points = rows.map(({ r, x }) => ({ ...toPx(x, r.ratio), label: pointLabel(r) }));
  const places = placeLabels(points);
  const values = rows.map(({ r, x }, i) => {
    const at = fromPx(points[i]!.x + places[i]!.dx, points[i]!.y + places[i]!.dy);
    return {
      label: points[i]!.label,
      method: r.method,
      channels: String(r.channels),
      ratio: Number(r.ratio.toFixed(3)),
      compress: Number(x.toFixed(1)),
      decompress: Number(r.decompress.mbps.toFixed(1)),
      labelX: at.x,
      labelY: at.y,
      align: places[i]!.align,
    };
  });
  const xScale = { type: 'log', domain: xd, nice: false };
  const yScale = { domain: yd, nice: false, zero: false };
  const x = { field: 'compress', type: 'quantitative', title: 'compress throughput (MB/s of input, all channels; log scale)', scale: xScale };
  const y = { field: 'ratio', type: 'quantitative', title: 'compression ratio (input / wire bytes)', scale: yScale };
  const color = { field: 'method', type: 'nominal', title: 'method' };
  const labels = (['left', 'right', 'center'] as const).map((align) => ({
    transform: [{ filter: { field: 'align', equal: align } }],
    mark: { type: 'text', align, baseline: 'middle', fontSize: 10 },
    encoding: {
      x: { field: 'labelX', type: 'quantitative', scale: xScale },
      y: { field: 'labelY', type: 'quantitative', scale: yScale },
      text: { field: 'label' },
      color,
    },
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'multifd compare: compression ratio against compress throughput',
      subtitle: `${result.input.sources.join(', ')}, ${(result.input.bytes / 1e6).toFixed(0)} MB; ${result.host.cpus} CPUs`,
    },
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
        encoding: {
          x,
          y,
          color,
          shape: { field: 'channels', type: 'nominal', title: 'channels' },
          tooltip: [{ field: 'label' }, { field: 'ratio' }, { field: 'compress' }, { field: 'decompress' }],
        },
      },
      ...labels,
    ],
  };
}

/** The chart as an SVG document. */
export async function renderSvg(result: CompareResult): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  // Warnings go nowhere: stdout carries the result only, stderr errors and progress.
  const logger = vega.logger(vega.None);
  const compiled = vegaLite.compile(chartSpec(result) as unknown as Parameters<typeof vegaLite.compile>[0], { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
