/**
 * Small SVG charts for bench/results/ (shown in the README): lines by a
 * numeric x, and grouped bars. Plain SVG, no library, readable on GitHub in
 * light and dark themes (a white background of its own).
 */
const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 200, bottom: 50, left: 70 };
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function frame(title: string, yLabel: string, yMax: number, body: string[], legend: string[]): string {
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const ticks = Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  const grid = ticks.map((tick) => {
    const y = MARGIN.top + plotHeight - (tick / yMax) * plotHeight;
    return `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end" font-size="11">${Number(tick.toPrecision(3))}</text>`;
  });
  const legendItems = legend.map((name, i) => {
    const y = MARGIN.top + 10 + i * 20;
    return `<rect x="${WIDTH - MARGIN.right + 16}" y="${y - 9}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/><text x="${WIDTH - MARGIN.right + 34}" y="${y + 1}" font-size="12">${escape(name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="system-ui, sans-serif" fill="#111827">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="600">${escape(title)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(yLabel)}</text>`,
    ...grid,
    ...body,
    ...legendItems,
    '</svg>',
    '',
  ].join('\n');
}

export interface Series {
  name: string;
  points: { x: number; y: number; low?: number; high?: number }[];
}

/** Lines over categorical x positions (e.g. concurrency 1, 8, 32, 64), with each point's range as a bar. */
export function lineChart(options: { title: string; xLabel: string; yLabel: string; xs: number[]; series: Series[] }): string {
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const yMax = niceMax(Math.max(...options.series.flatMap((s) => s.points.map((p) => p.high ?? p.y))));
  const xAt = (x: number) => MARGIN.left + ((options.xs.indexOf(x) + 0.5) / options.xs.length) * plotWidth;
  const yAt = (y: number) => MARGIN.top + plotHeight - (y / yMax) * plotHeight;
  const body = options.xs.map((x) => `<text x="${xAt(x)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle" font-size="11">${x}</text>`);
  body.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle" font-size="12">${escape(options.xLabel)}</text>`);
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = series.points.filter((p) => options.xs.includes(p.x));
    body.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map((p) => `${xAt(p.x)},${yAt(p.y)}`).join(' ')}"/>`);
    for (const p of points) {
      if (p.low !== undefined && p.high !== undefined) body.push(`<line x1="${xAt(p.x)}" x2="${xAt(p.x)}" y1="${yAt(p.low)}" y2="${yAt(p.high)}" stroke="${colour}" stroke-width="1"/>`);
      body.push(`<circle cx="${xAt(p.x)}" cy="${yAt(p.y)}" r="3.5" fill="${colour}"/>`);
    }
  });
  return frame(options.title, options.yLabel, yMax, body, options.series.map((s) => s.name));
}

/** Bars in groups (e.g. one group per post count, one bar per contender). */
export function barChart(options: { title: string; yLabel: string; groups: { label: string; bars: { name: string; value: number }[] }[] }): string {
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const names = [...new Set(options.groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const yMax = niceMax(Math.max(...options.groups.flatMap((g) => g.bars.map((b) => b.value))));
  const groupWidth = plotWidth / options.groups.length;
  const barWidth = (groupWidth * 0.8) / names.length;
  const body: string[] = [];
  options.groups.forEach((group, g) => {
    const x0 = MARGIN.left + g * groupWidth + groupWidth * 0.1;
    body.push(`<text x="${MARGIN.left + (g + 0.5) * groupWidth}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle" font-size="11">${escape(group.label)}</text>`);
    for (const bar of group.bars) {
      const i = names.indexOf(bar.name);
      const h = (bar.value / yMax) * plotHeight;
      const x = x0 + i * barWidth;
      body.push(`<rect x="${x}" y="${MARGIN.top + plotHeight - h}" width="${barWidth - 2}" height="${h}" fill="${COLOURS[i % COLOURS.length]}"/>`);
      body.push(`<text x="${x + barWidth / 2 - 1}" y="${MARGIN.top + plotHeight - h - 4}" text-anchor="middle" font-size="10">${Number(bar.value.toPrecision(3))}</text>`);
    }
  });
  return frame(options.title, options.yLabel, yMax, body, names);
}
