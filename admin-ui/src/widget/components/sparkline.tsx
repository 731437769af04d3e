/**
 * WordPress dependencies
 */
import { createElement } from '@wordpress/element';

/** Polyline points for values scaled into a width × height box (y grows downwards). */
export function sparklinePoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${Math.round(i * step * 10) / 10},${Math.round((height - (v / max) * height) * 10) / 10}`)
    .join(' ');
}

/** A tiny inline SVG trend line (uPlot would not fit the widget's 15 KB budget). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 200;
  const height = 40;
  return (
    <svg
      className="clickpath-widget__sparkline"
      viewBox={`0 0 ${width} ${height + 2}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      <polyline
        fill="none"
        stroke="#2271b1"
        strokeWidth="2"
        vectorEffect="non-scaling-stroke"
        points={sparklinePoints(values, width, height)}
        transform="translate(0,1)"
      />
    </svg>
  );
}
