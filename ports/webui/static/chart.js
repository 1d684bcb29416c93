// A line over time, drawn by the page itself as SVG: nothing is loaded from
// elsewhere. The chart is drawn at its box's width in pixels (and again
// when that changes) rather than scaled from a viewBox, so its labels keep
// a readable size on a phone.
import { h, svg } from './dom.js';

const height = 190;
const pad = { top: 12, right: 18, bottom: 30, left: 58 };

// lineChart charts points [{ at: Date, value: number }], in any order, from
// 0 to max (or to a round number at or above both the largest value and
// least). format labels a value. With no point it says so; one point is a dot.
export function lineChart({ title, series, points: given, max, least = 1, format }) {
  // The log's order is when events were recorded; a check that started
  // earlier can be recorded later. A line over time goes by time.
  const points = [...given].sort((a, b) => a.at - b.at);
  const fig = h('figure', { class: 'chart', dataset: { series, points: points.length } },
    h('figcaption', {}, title, points.length ? h('span', { class: 'latest' }, ' · latest ' + format(points.at(-1).value)) : null));
  if (!points.length) {
    fig.append(h('p', { class: 'empty' }, 'No events with this figure in the period.'));
    return fig;
  }
  const box = h('div', { class: 'plot' });
  fig.append(box);
  const top = max ?? roundUp(Math.max(least, ...points.map((p) => p.value)));
  let width = 0;
  new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (w > 0 && w !== width) {
      width = w;
      box.replaceChildren(draw(w, title, points, top, format));
    }
  }).observe(box);
  return fig;
}

function draw(width, title, points, top, format) {
  const [t0, t1] = timeSpan(points);
  const plotW = Math.max(width - pad.left - pad.right, 10);
  const plotH = height - pad.top - pad.bottom;
  const x = (t) => pad.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v) => pad.top + plotH - (Math.min(Math.max(v, 0), top) / top) * plotH;
  const xy = points.map((p) => [x(p.at.getTime()), y(p.value)].map((n) => n.toFixed(1)));
  const label = timeLabel(t1 - t0);

  const grid = [];
  const yTicks = steps(top);
  for (let i = 0; i <= yTicks; i++) {
    const v = (top * i) / yTicks;
    grid.push(svg('line', { class: 'grid', x1: pad.left, x2: pad.left + plotW, y1: y(v), y2: y(v) }),
      svg('text', { class: 'y-label', x: pad.left - 6, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, format(v)));
  }
  const n = Math.max(2, Math.min(6, Math.floor(plotW / 130) + 1));
  for (let i = 0; i < n; i++) {
    const t = t0 + ((t1 - t0) * i) / (n - 1);
    const anchor = i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    grid.push(svg('text', { class: 'x-label', x: x(t), y: height - 8, 'text-anchor': anchor }, label(new Date(t))));
  }
  const first = points[0].at.toLocaleString();
  const last = points.at(-1);
  return svg('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `${title}: ${points.length} ${points.length === 1 ? 'point' : 'points'} from ${first}; latest ${format(last.value)} at ${last.at.toLocaleString()}`,
  },
  grid,
  svg('line', { class: 'axis', x1: pad.left, x2: pad.left, y1: pad.top, y2: pad.top + plotH }),
  svg('line', { class: 'axis', x1: pad.left, x2: pad.left + plotW, y1: pad.top + plotH, y2: pad.top + plotH }),
  svg('path', { class: 'line', d: 'M' + xy.map(([px, py]) => px + ' ' + py).join(' L') }),
  points.map((p, i) => svg('circle', { class: 'point', cx: xy[i][0], cy: xy[i][1], r: points.length > 200 ? 1.5 : 3 },
    svg('title', {}, `${p.at.toLocaleString()}: ${format(p.value)}`))));
}

// timeSpan is the x axis: the points' first and last times with a margin,
// or a minute either side when they are one moment, so a single point sits
// in the middle.
function timeSpan(points) {
  const t0 = points[0].at.getTime();
  const t1 = points.at(-1).at.getTime();
  const margin = t1 > t0 ? (t1 - t0) * 0.03 : 60_000;
  return [t0 - margin, t1 + margin];
}

// timeLabel words times as finely as the span needs.
function timeLabel(span) {
  const hour = 3_600_000;
  if (span <= 20_000) return (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 2 });
  if (span <= 20 * 60_000) return (d) => d.toLocaleTimeString();
  if (span <= 36 * hour) return (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (span <= 10 * 24 * hour) return (d) => d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return (d) => d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

// roundUp is a round top for an axis: 1, 2 or 5 times a power of ten.
function roundUp(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

// steps divides a round top into round steps: 1 into fifths, 2 into
// quarters, 5 into fifths.
function steps(top) {
  return Math.round(top / 10 ** Math.floor(Math.log10(top))) === 2 ? 4 : 5;
}
