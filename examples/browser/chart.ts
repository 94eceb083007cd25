// A line chart drawn as SVG by the page: training loss and accuracy per batch, validation
// loss and accuracy per epoch, against the global training step. Loss uses the left axis
// (0 to the largest loss seen), accuracy the right one (0 to 1).

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { left: 44, right: 44, top: 16, bottom: 28 };

export interface Point {
  step: number;
  value: number;
}

export const SERIES = {
  trainingLoss: { label: 'training loss', color: '#d9480f', axis: 'loss', dashed: false },
  validationLoss: { label: 'validation loss', color: '#d9480f', axis: 'loss', dashed: true },
  trainingAccuracy: { label: 'training accuracy', color: '#1971c2', axis: 'accuracy', dashed: false },
  validationAccuracy: { label: 'validation accuracy', color: '#1971c2', axis: 'accuracy', dashed: true },
} as const;

export type SeriesName = keyof typeof SERIES;

export class LossChart {
  readonly series: Record<SeriesName, Point[]> = { trainingLoss: [], validationLoss: [], trainingAccuracy: [], validationAccuracy: [] };
  private readonly svg: SVGSVGElement;
  private pending = false;

  constructor(parent: HTMLElement) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.svg.setAttribute('class', 'chart');
    parent.append(this.svg);
    this.draw();
  }

  add(name: SeriesName, step: number, value: number): void {
    if (!Number.isFinite(value)) return;
    this.series[name].push({ step, value });
    // redraw at most once per frame however many points arrive
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  clear(): void {
    for (const points of Object.values(this.series)) points.length = 0;
    this.draw();
  }

  /** Points drawn, per series (what the browser test reads). */
  pointCounts(): Record<SeriesName, number> {
    return Object.fromEntries(Object.entries(this.series).map(([name, points]) => [name, points.length])) as Record<SeriesName, number>;
  }

  private draw(): void {
    const all = Object.values(this.series).flat();
    const maxStep = Math.max(1, ...all.map((p) => p.step));
    const maxLoss = Math.max(0.5, ...this.series.trainingLoss.map((p) => p.value), ...this.series.validationLoss.map((p) => p.value));
    const x = (step: number): number => MARGIN.left + (step / maxStep) * (WIDTH - MARGIN.left - MARGIN.right);
    const y = (value: number, axis: 'loss' | 'accuracy'): number =>
      HEIGHT - MARGIN.bottom - (axis === 'loss' ? value / maxLoss : value) * (HEIGHT - MARGIN.top - MARGIN.bottom);
    const parts: string[] = [];
    // axes, grid and tick labels
    for (let i = 0; i <= 4; i++) {
      const yy = MARGIN.top + (i / 4) * (HEIGHT - MARGIN.top - MARGIN.bottom);
      parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${yy}" y2="${yy}" stroke="#e9ecef"/>`);
      parts.push(`<text x="${MARGIN.left - 6}" y="${yy + 4}" text-anchor="end" fill="#d9480f">${((maxLoss * (4 - i)) / 4).toFixed(2)}</text>`);
      parts.push(`<text x="${WIDTH - MARGIN.right + 6}" y="${yy + 4}" fill="#1971c2">${((4 - i) / 4).toFixed(2)}</text>`);
    }
    parts.push(`<text x="${WIDTH / 2}" y="${HEIGHT - 6}" text-anchor="middle" fill="#495057">training step (of ${maxStep})</text>`);
    for (const [name, style] of Object.entries(SERIES) as [SeriesName, (typeof SERIES)[SeriesName]][]) {
      const points = this.series[name];
      if (points.length === 0) continue;
      const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.value, style.axis).toFixed(1)}`).join('');
      const dash = style.dashed ? ' stroke-dasharray="6 4"' : '';
      parts.push(`<path d="${path}" fill="none" stroke="${style.color}" stroke-width="2"${dash} data-series="${name}" data-points="${points.length}"/>`);
      if (style.dashed) for (const p of points) parts.push(`<circle cx="${x(p.step)}" cy="${y(p.value, style.axis)}" r="3.5" fill="${style.color}"/>`);
    }
    // legend
    Object.values(SERIES).forEach((style, i) => {
      const lx = MARGIN.left + 8 + (i % 2) * 150;
      const ly = MARGIN.top + 10 + Math.floor(i / 2) * 16;
      parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${style.color}" stroke-width="2"${style.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      parts.push(`<text x="${lx + 28}" y="${ly}" fill="#212529">${style.label}</text>`);
    });
    this.svg.innerHTML = parts.join('');
  }
}
