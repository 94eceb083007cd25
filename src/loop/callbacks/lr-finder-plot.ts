// The learning-rate finder's curve as text: a CSV table and an SVG plot, drawn here with no
// plotting library. The plot is fastai's plot_lr_find: the smoothed loss against the
// learning rate on a log axis, the raw losses faint behind it, the suggested rate marked.
// The y range is that of the smoothed curve (the raw losses are clipped to the plot area),
// so one wild batch does not flatten the curve that matters.

import { formatFloat32 } from './csv-logger.js';

export interface LearningRateCurve {
  rates: readonly number[];
  losses: readonly number[];
  smoothedLosses: readonly number[];
}

/** `step,learning_rate,loss,smoothed_loss`, one row per step (1-based). */
export function curveCsv({ rates, losses, smoothedLosses }: LearningRateCurve): string {
  const rows = rates.map((rate, i) => [i + 1, formatDouble(rate), formatFloat32(losses[i]!), formatDouble(smoothedLosses[i]!)].join(','));
  return `step,learning_rate,loss,smoothed_loss\n${rows.map((r) => `${r}\n`).join('')}`;
}

/** Nine significant digits, the non-finite spelt as the CSV logger does. */
function formatDouble(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(9))) : formatFloat32(value);
}

export interface PlotOptions {
  /** The rate axis spans [startRate, endRate] (the requested range, even if the test stopped early). */
  startRate: number;
  endRate: number;
  suggestion: number;
  title: string;
}

const WIDTH = 640;
const HEIGHT = 400;
// room for the tick labels left and below, the title and the legend above
const LEFT = 64;
const RIGHT = 16;
const TOP = 52;
const BOTTOM = 48;

/** The SVG document of the curve. */
export function curveSvg(curve: LearningRateCurve, { startRate, endRate, suggestion, title }: PlotOptions): string {
  const { rates, losses, smoothedLosses } = curve;
  const [x0, x1] = [Math.log10(startRate), Math.log10(endRate)];
  const finite = smoothedLosses.filter(Number.isFinite);
  let [y0, y1] = finite.length > 0 ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  const pad = y1 > y0 ? (y1 - y0) * 0.05 : Math.max(Math.abs(y0) * 0.1, 1);
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (rate: number) => LEFT + ((Math.log10(rate) - x0) / (x1 - x0)) * (WIDTH - LEFT - RIGHT);
  // clamped far outside the frame (the clip path hides it), so a huge raw loss stays a plain number
  const py = (loss: number) => Math.min(11 * HEIGHT, Math.max(-10 * HEIGHT, TOP + ((y1 - loss) / (y1 - y0)) * (HEIGHT - TOP - BOTTOM)));
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<defs><clipPath id="plot-area"><rect x="${LEFT}" y="${TOP}" width="${WIDTH - LEFT - RIGHT}" height="${HEIGHT - TOP - BOTTOM}"/></clipPath></defs>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    ...axes(x0, x1, y0, y1, px, py),
    `<g clip-path="url(#plot-area)">`,
    `<path d="${linePath(rates, losses, px, py)}" fill="none" stroke="#9ab" stroke-width="1"/>`,
    `<path d="${linePath(rates, smoothedLosses, px, py)}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`,
    `</g>`,
  ];
  if (Number.isFinite(suggestion) && suggestion > 0) {
    const at = nearestIndex(rates, suggestion);
    const x = round(px(suggestion));
    parts.push(`<line x1="${x}" y1="${TOP}" x2="${x}" y2="${HEIGHT - BOTTOM}" stroke="#c33" stroke-dasharray="4 3"/>`);
    if (at >= 0 && Number.isFinite(smoothedLosses[at]!)) parts.push(`<circle cx="${x}" cy="${round(py(smoothedLosses[at]!))}" r="4" fill="#c33"/>`);
    parts.push(`<text x="${x + 4}" y="${TOP + 14}" fill="#c33">suggested ${escapeXml(suggestion.toPrecision(3))}</text>`);
  }
  parts.push(`</svg>`, '');
  return parts.join('\n');
}

/** Frame, ticks and labels: a tick at every power of ten of the rate, five on the loss. */
function axes(x0: number, x1: number, y0: number, y1: number, px: (r: number) => number, py: (l: number) => number): string[] {
  const bottom = HEIGHT - BOTTOM;
  const out = [`<rect x="${LEFT}" y="${TOP}" width="${WIDTH - LEFT - RIGHT}" height="${bottom - TOP}" fill="none" stroke="#444"/>`];
  const decades: number[] = [];
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) decades.push(e);
  if (decades.length < 2) decades.splice(0, decades.length, x0, x1);
  for (const e of decades) {
    const x = round(px(10 ** e));
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#444"/>`);
    out.push(`<text x="${x}" y="${bottom + 18}" text-anchor="middle">${escapeXml(Number.isInteger(e) ? `1e${e}` : (10 ** e).toPrecision(2))}</text>`);
  }
  for (let k = 0; k <= 4; k++) {
    const loss = y0 + ((y1 - y0) * k) / 4;
    const y = round(py(loss));
    out.push(`<line x1="${LEFT - 5}" y1="${y}" x2="${LEFT}" y2="${y}" stroke="#444"/>`);
    out.push(`<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end">${escapeXml(formatTick(loss))}</text>`);
  }
  out.push(`<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${HEIGHT - 10}" text-anchor="middle">learning rate (log scale)</text>`);
  out.push(`<text transform="translate(16 ${(TOP + bottom) / 2}) rotate(-90)" text-anchor="middle">loss</text>`);
  // the legend, above the frame on the right
  const x = WIDTH - RIGHT - 190;
  out.push(`<line x1="${x}" y1="${TOP - 12}" x2="${x + 20}" y2="${TOP - 12}" stroke="#1f5fa8" stroke-width="2"/>`, `<text x="${x + 26}" y="${TOP - 8}">smoothed</text>`);
  out.push(`<line x1="${x + 100}" y1="${TOP - 12}" x2="${x + 120}" y2="${TOP - 12}" stroke="#9ab"/>`, `<text x="${x + 126}" y="${TOP - 8}">per batch</text>`);
  return out;
}

/** `M x y L x y …`, starting a new piece after any non-finite loss. */
function linePath(rates: readonly number[], losses: readonly number[], px: (r: number) => number, py: (l: number) => number): string {
  const commands: string[] = [];
  let pen = 'M';
  rates.forEach((rate, i) => {
    const loss = losses[i]!;
    if (!Number.isFinite(loss)) {
      pen = 'M';
      return;
    }
    commands.push(`${pen}${round(px(rate))} ${round(py(loss))}`);
    pen = 'L';
  });
  return commands.join(' ') || `M${LEFT} ${HEIGHT - BOTTOM}`;
}

function nearestIndex(rates: readonly number[], rate: number): number {
  let best = -1;
  rates.forEach((r, i) => {
    if (best < 0 || Math.abs(Math.log(r / rate)) < Math.abs(Math.log(rates[best]! / rate))) best = i;
  });
  return best;
}

const round = (v: number) => Math.round(v * 10) / 10;

function formatTick(value: number): string {
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-2 && value !== 0) ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
