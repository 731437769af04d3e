/**
 * External dependencies
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * WordPress dependencies
 */
import { useEffect, useRef, createElement } from '@wordpress/element';

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
}

const HEIGHT = 240;
const LINE = '#2271b1';
const MARK = '#b32d2e';

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
export function Chart({ periods, values, label, interval, annotations, format }: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
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
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          {
            stroke: '#50575e',
            grid: { show: false },
            values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? tick(s) : '')),
          },
          { stroke: '#50575e', grid: { stroke: '#e0e0e0' }, values: (_u, splits) => splits.map(format), size: 60 },
        ],
        series: [
          {},
          { label, stroke: LINE, width: 2, fill: 'rgba(34,113,177,0.08)', points: { show: periods.length < 40 } },
        ],
        hooks: {
          draw: [
            (u) => {
              const { ctx } = u;
              ctx.save();
              ctx.strokeStyle = MARK;
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
  }, [periods, values, label, interval, annotations, format]);

  return <div ref={ref} className="clickpath-report__chart-canvas" aria-hidden="true" />;
}
