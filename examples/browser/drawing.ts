// The canvas the user draws a digit on, and the step that turns the drawing into an input
// like MNIST's: the ink's bounding box scaled to fit 20×20 pixels, placed in a 28×28 image
// with its centre of mass at the centre (how the MNIST digits were made).

const SIZE = 280;
const PEN_WIDTH = 20;

export class DigitPad {
  readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private drawing = false;
  private last: [number, number] | null = null;

  /** `onChange` runs (at most once per frame) after each stroke segment and on clear. */
  constructor(parent: HTMLElement, private readonly onChange: () => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = SIZE;
    this.canvas.height = SIZE;
    this.canvas.className = 'pad';
    parent.append(this.canvas);
    this.context = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    let scheduled = false;
    const changed = (): void => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        this.onChange();
      });
    };
    const at = (event: PointerEvent): [number, number] => {
      const box = this.canvas.getBoundingClientRect();
      return [((event.clientX - box.left) * SIZE) / box.width, ((event.clientY - box.top) * SIZE) / box.height];
    };
    this.canvas.addEventListener('pointerdown', (event) => {
      this.drawing = true;
      this.last = at(event);
      this.canvas.setPointerCapture(event.pointerId);
      this.stroke(this.last, this.last);
      changed();
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.drawing) return;
      const point = at(event);
      this.stroke(this.last ?? point, point);
      this.last = point;
      changed();
    });
    const end = (): void => {
      this.drawing = false;
      this.last = null;
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.context.fillStyle = 'black';
    this.context.fillRect(0, 0, SIZE, SIZE);
  }

  private stroke(from: [number, number], to: [number, number]): void {
    const c = this.context;
    c.strokeStyle = 'white';
    c.lineWidth = PEN_WIDTH;
    c.lineCap = 'round';
    c.beginPath();
    c.moveTo(...from);
    c.lineTo(...to);
    c.stroke();
  }

  /** The drawing as 784 values in [0, 1] (row-major 28×28), or null when nothing is drawn. */
  toMnist(): Float32Array | null {
    const { data } = this.context.getImageData(0, 0, SIZE, SIZE);
    let [top, left, bottom, right] = [SIZE, SIZE, -1, -1];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        if (data[(y * SIZE + x) * 4]! > 20) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) return null;
    // scale the bounding box to fit 20×20, keeping its aspect ratio
    const side = Math.max(bottom - top + 1, right - left + 1);
    const small = document.createElement('canvas');
    small.width = small.height = 28;
    const s = small.getContext('2d', { willReadFrequently: true })!;
    s.fillStyle = 'black';
    s.fillRect(0, 0, 28, 28);
    const w = ((right - left + 1) / side) * 20;
    const h = ((bottom - top + 1) / side) * 20;
    s.imageSmoothingQuality = 'high';
    s.drawImage(this.canvas, left, top, right - left + 1, bottom - top + 1, 0, 0, w, h);
    const pixels = s.getImageData(0, 0, 28, 28).data;
    // shift so the centre of mass lands on the image centre (14, 14)
    let [mass, mx, my] = [0, 0, 0];
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = pixels[(y * 28 + x) * 4]! / 255;
        mass += v;
        mx += v * x;
        my += v * y;
      }
    }
    const dx = Math.round(14 - mx / mass);
    const dy = Math.round(14 - my / mass);
    const out = new Float32Array(784);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = pixels[(sy * 28 + sx) * 4]! / 255;
      }
    }
    return out;
  }
}
