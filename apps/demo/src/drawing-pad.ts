import { IMAGE_SIZE } from './preprocess.js';

/** Pixels the keyboard pen moves per arrow key press (on the 280-pixel canvas). */
const KEY_STEP = 14;

/**
 * A canvas to draw a digit on, with the mouse, a pen, a finger or the keyboard (arrow keys move the
 * pen, Space lifts / lowers it, Delete or Escape clears). White ink on black, as MNIST stores digits.
 * `onChange` runs at most once per animation frame while drawing.
 */
export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private keyPen = { x: 0, y: 0, down: false };
  private pending = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly cursor: HTMLElement,
    private readonly onChange: () => void,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
    this.keyPen = { x: canvas.width / 2, y: canvas.height / 2, down: false };
    this.clear(false);
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.toCanvas(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.last === null) return;
      const p = this.toCanvas(e);
      this.stroke(this.last, p);
      this.last = p;
    });
    const end = (): void => {
      this.last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    // The keyboard pen's cursor only when focus came from the keyboard (a click needs none).
    canvas.addEventListener('focus', () => {
      if (canvas.matches(':focus-visible')) this.placeCursor();
    });
    canvas.addEventListener('blur', () => {
      this.cursor.hidden = true;
    });
  }

  /** Paints the canvas black; `notify` also runs `onChange` (the predictions then clear). */
  clear(notify = true): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (notify) this.changed();
  }

  /** Shows a 28×28 uint8 image (an MNIST sample) scaled up, without smoothing. */
  showImage(pixels: Uint8Array): void {
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const sctx = small.getContext('2d');
    if (sctx === null) return;
    const img = sctx.createImageData(28, 28);
    for (let i = 0; i < IMAGE_SIZE; i++) {
      const v = pixels[i] as number;
      img.data.set([v, v, v, 255], 4 * i);
    }
    sctx.putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
    this.ctx.imageSmoothingEnabled = true;
  }

  private toCanvas(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / r.width) * this.canvas.width,
      y: ((e.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 13;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
    this.changed();
  }

  private onKey(e: KeyboardEvent): void {
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, -KEY_STEP],
      ArrowDown: [0, KEY_STEP],
    };
    const move = moves[e.key];
    const pen = this.keyPen;
    if (move !== undefined) {
      const from = { x: pen.x, y: pen.y };
      pen.x = Math.min(this.canvas.width, Math.max(0, pen.x + move[0]));
      pen.y = Math.min(this.canvas.height, Math.max(0, pen.y + move[1]));
      if (pen.down) this.stroke(from, pen);
    } else if (e.key === ' ') {
      pen.down = !pen.down;
      if (pen.down) this.stroke(pen, pen);
    } else if (e.key === 'Delete' || e.key === 'Escape' || e.key === 'Backspace') {
      this.clear();
    } else {
      return;
    }
    e.preventDefault();
    this.placeCursor();
  }

  private placeCursor(): void {
    const scale = this.canvas.getBoundingClientRect().width / this.canvas.width;
    this.cursor.hidden = false;
    this.cursor.style.left = `${this.keyPen.x * scale}px`;
    this.cursor.style.top = `${this.keyPen.y * scale}px`;
    this.cursor.classList.toggle('pen-down', this.keyPen.down);
  }

  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.onChange();
    });
  }
}
