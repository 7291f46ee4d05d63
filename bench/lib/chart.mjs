// A hand-written SVG bar chart: per workload, the median throughput ratio of the service to each
// reference proxy, with the targets as dashed marks.

const COLORS = { peer: '#4e79a7', http: '#f28e2b', target: '#c0392b', grid: '#dddddd', text: '#222222' };

function escapeXml(text) {
  return String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

/**
 * @param {{ title: string, subtitle: string, groups: { label: string, sublabel?: string,
 *   bars: { key: 'peer' | 'http', value: number | null, target?: number }[] }[] }} chart
 */
export function renderChart({ title, subtitle, groups }) {
  const width = 80 + groups.length * 100;
  const height = 400;
  const left = 60;
  const top = 70;
  const bottom = 90;
  const plotHeight = height - top - bottom;
  const values = groups.flatMap((group) => group.bars.flatMap((bar) => [bar.value ?? 0, bar.target ?? 0]));
  const yMax = Math.max(1, Math.ceil(Math.max(...values) * 1.15 * 5) / 5);
  const y = (value) => top + plotHeight - (value / yMax) * plotHeight;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeXml(title)}</text>`);
  out.push(`<text x="${left}" y="40" font-size="11" fill="#555555">${escapeXml(subtitle)}</text>`);
  // Legend.
  const legend = [
    ['peer', 'service / RESTDataSource peer'],
    ['http', 'service / node:http proxy'],
  ];
  legend.forEach(([key, label], i) => {
    const x = left + i * 190;
    out.push(`<rect x="${x}" y="50" width="12" height="12" fill="${COLORS[key]}"/>`);
    out.push(`<text x="${x + 17}" y="60" fill="${COLORS.text}">${label}</text>`);
  });
  out.push(`<line x1="${left + 380}" y1="56" x2="${left + 400}" y2="56" stroke="${COLORS.target}" stroke-width="2" stroke-dasharray="4 2"/>`);
  out.push(`<text x="${left + 405}" y="60" fill="${COLORS.text}">target</text>`);
  // Grid and axis.
  for (let tick = 0; tick <= yMax + 1e-9; tick += 0.2) {
    const ty = y(tick).toFixed(1);
    out.push(`<line x1="${left}" y1="${ty}" x2="${width - 20}" y2="${ty}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${left - 8}" y="${Number(ty) + 4}" text-anchor="end" fill="#555555">${tick.toFixed(1)}</text>`);
  }
  out.push(`<line x1="${left}" y1="${y(1).toFixed(1)}" x2="${width - 20}" y2="${y(1).toFixed(1)}" stroke="#999999"/>`);
  // Bars.
  groups.forEach((group, g) => {
    const gx = left + 20 + g * 100;
    group.bars.forEach((bar, b) => {
      const bx = gx + b * 32;
      if (bar.value !== null && bar.value !== undefined) {
        const by = y(bar.value);
        out.push(`<rect x="${bx}" y="${by.toFixed(1)}" width="28" height="${(top + plotHeight - by).toFixed(1)}" fill="${COLORS[bar.key]}"/>`);
        out.push(`<text x="${bx + 14}" y="${(by - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="${COLORS.text}">${bar.value.toFixed(2)}</text>`);
      }
      if (bar.target !== undefined) {
        const ty = y(bar.target).toFixed(1);
        out.push(`<line x1="${bx - 3}" y1="${ty}" x2="${bx + 31}" y2="${ty}" stroke="${COLORS.target}" stroke-width="2" stroke-dasharray="4 2"/>`);
      }
    });
    out.push(`<text x="${gx + 30}" y="${top + plotHeight + 18}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(group.label)}</text>`);
    if (group.sublabel) {
      out.push(`<text x="${gx + 30}" y="${top + plotHeight + 33}" text-anchor="middle" font-size="10" fill="#555555">${escapeXml(group.sublabel)}</text>`);
    }
  });
  out.push(`<text x="${left}" y="${height - 12}" font-size="10" fill="#555555">Bars: median over rounds of (service req/s) / (proxy req/s) from the same round; 1.0 = as fast as the proxy.</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
