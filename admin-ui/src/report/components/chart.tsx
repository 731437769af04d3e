/**
 * External dependencies
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * WordPress dependencies
 */
import { useEffect, useRef, useState, createElement } from '@wordpress/element';

/**
 * Internal dependencies
 */
import type { Annotation, Interval } from '../../data/types';
import { formatPeriod } from '../../lib/format';

interface ChartProps {
  periods: string[];
  values: number[];
  label: string;
  interval: Interval;
  annotations: Annotation[];
  format: (value: number) => string;
  /** A count: the value axis ticks on whole numbers only. */
  integer?: boolean;
}

const HEIGHT = 240;

/**
 * The canvas can't read CSS, so the chart takes its colours from the theme's custom properties
 * (the dashboard's dark theme sets them), with wp-admin's light colours as the fallback.
 */
function chartColours(el: HTMLElement) {
  const style = getComputedStyle(el);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    line: read('--clickpath-chart-line', '#2271b1'),
    fill: read('--clickpath-chart-fill', 'rgba(34,113,177,0.08)'),
    mark: read('--clickpath-bad', '#b32d2e'),
    muted: read('--clickpath-muted', '#50575e'),
    grid: read('--clickpath-grid', '#e0e0e0'),
  };
}

/** Index of the point an annotation day falls into (days, weeks, months or hours of that day). */
export function annotationIndex(periods: string[], day: string): number {
  const exact = periods.findIndex((p) => p.startsWith(day) || day.startsWith(p));
  if (exact >= 0) return exact;
  // Weeks: the last period that starts on or before the day.
  const first = periods[0];
  if (first === undefined || day < first) return -1;
  let index = -1;
  periods.forEach((p, i) => {
    if (p <= day) index = i;
  });
  return index;
}

/** The uPlot line chart; created once the canvas container is in the page and resized with it. */
/** Tick steps of a count axis: whole numbers only, so a range of 0–2 reads 0, 1, 2 and never 0.2. */
export const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50]
  .flatMap((n) => [n, n * 100, n * 10_000, n * 1_000_000])
  .sort((a, b) => a - b);

/** The system's colour scheme, followed live: the canvas is redrawn in the new theme's colours. */
function useColorScheme(): 'light' | 'dark' {
  const darkQuery = () =>
    typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const [dark, setDark] = useState(() => darkQuery()?.matches ?? false);
  useEffect(() => {
    const query = darkQuery();
    if (!query?.addEventListener) return undefined;
    const onChange = () => setDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}

export function Chart({ periods, values, label, interval, annotations, format, integer = false }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const scheme = useColorScheme();

  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const colours = chartColours(el);
    const xs = periods.map((_, i) => i);
    const marks = annotations.map((a) => annotationIndex(periods, a.day)).filter((i) => i >= 0);
    const tick = (i: number) => {
      const p = periods[i];
      if (p === undefined) return '';
      return interval === 'hour' ? p.slice(11, 13) + ':00' : formatPeriod(p);
    };
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 280),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false },
          y: { range: (_u, _min, max) => [0, integer ? Math.max(1, Math.ceil(max * 1.1)) : Math.max(1, max * 1.1)] },
        },
        axes: [
          {
            stroke: colours.muted,
            grid: { show: false },
            values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? tick(s) : '')),
          },
          {
            stroke: colours.muted,
            grid: { stroke: colours.grid },
            ...(integer ? { incrs: INTEGER_STEPS } : {}),
            values: (_u, splits) => splits.map((v) => (integer && !Number.isInteger(v) ? '' : format(v))),
            size: 60,
          },
        ],
        series: [
          {},
          { label, stroke: colours.line, width: 2, fill: colours.fill, points: { show: periods.length < 40 } },
        ],
        hooks: {
          draw: [
            (u) => {
              const { ctx } = u;
              ctx.save();
              ctx.strokeStyle = colours.mark;
              ctx.setLineDash([4, 4]);
              ctx.lineWidth = 1;
              for (const i of marks) {
                const x = Math.round(u.valToPos(i, 'x', true));
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
              }
              ctx.restore();
            },
          ],
        },
      },
      [xs, values],
      el,
    );
    let observer: ResizeObserver | undefined;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height: HEIGHT }));
      observer.observe(el);
    }
    return () => {
      observer?.disconnect();
      plot.destroy();
    };
  }, [periods, values, label, interval, annotations, format, integer, scheme]);

  return <div ref={ref} className="clickpath-report__chart-canvas" aria-hidden="true" />;
}
