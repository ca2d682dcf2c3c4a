// The attention heat map of one decode: a row per output (the phonemes, then </s>), a column per input (the
// letters, then </s>), each cell shaded by its weight (rows sum to 1). A plain canvas, sized to the labels.

const CELL = 26;
const FONT = '12px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace';

/** White (0) to the page's blue (1). */
function shade(w: number): string {
  const t = Math.min(1, Math.max(0, w));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(255, 37)}, ${mix(255, 99)}, ${mix(255, 235)})`;
}

export function drawHeatmap(canvas: HTMLCanvasElement, cols: readonly string[], rows: readonly string[], weights: readonly (readonly number[])[]): void {
  if (weights.length !== rows.length || weights.some((r) => r.length !== cols.length)) {
    throw new RangeError(`heat map: ${weights.length} rows of weights for ${rows.length} phonemes × ${cols.length} letters`);
  }
  const probe = canvas.getContext('2d')!;
  probe.font = FONT;
  const left = 10 + Math.max(...rows.map((r) => probe.measureText(r).width));
  const top = 22;
  const width = Math.ceil(left + cols.length * CELL + 4);
  const height = Math.ceil(top + rows.length * CELL + 4);
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.font = FONT;
  g.textBaseline = 'middle';
  g.fillStyle = '#0f172a';
  g.textAlign = 'center';
  cols.forEach((c, j) => g.fillText(c, left + (j + 0.5) * CELL, top / 2));
  g.textAlign = 'right';
  rows.forEach((r, i) => g.fillText(r, left - 6, top + (i + 0.5) * CELL));
  weights.forEach((row, i) => {
    row.forEach((w, j) => {
      g.fillStyle = shade(w);
      g.fillRect(left + j * CELL, top + i * CELL, CELL - 1, CELL - 1);
    });
  });
  canvas.dataset.rows = String(rows.length);
  canvas.dataset.cols = String(cols.length);
  canvas.setAttribute('aria-label', `attention weights: ${rows.length} outputs (${rows.join(' ')}) over ${cols.length} inputs (${cols.join(' ')})`);
}

export function clearHeatmap(canvas: HTMLCanvasElement): void {
  canvas.width = 0;
  canvas.height = 0;
  canvas.style.width = '';
  canvas.style.height = '';
  delete canvas.dataset.rows;
  delete canvas.dataset.cols;
}
