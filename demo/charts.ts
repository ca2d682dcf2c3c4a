// The perplexity of every epoch (uPlot, log scale, with a log table beside it) and, under it, the loss of every
// step, which moves within seconds of Start. Points arrive from the engine; drawing waits for the next frame.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el, fmtEpochs, fmtInt, fmtPerplexity, fmtSeconds } from './dom.js';
import type { EpochPoint } from './protocol.js';

const axis = { stroke: '#475569', grid: { stroke: '#e2e8f0' } };
const epochIncrs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

function chart(target: HTMLElement, height: number, label: string, color: string, format: (v: number) => string, log: boolean): uPlot {
  const plot = new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      series: [
        { label: 'epoch', value: (_u, v) => (v == null ? '–' : fmtEpochs(v)) },
        { label, stroke: color, width: log ? 2 : 1, points: { show: log, size: 5 }, value: (_u, v) => (v == null ? '–' : format(v)) },
      ],
      axes: [{ ...axis, label: 'epoch', incrs: epochIncrs }, { ...axis, size: 56 }],
      legend: { show: false },
    },
    [[], []],
    target,
  );
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, target.clientWidth), height })).observe(target);
  return plot;
}

const perplexityPlot = chart(el.chart, 240, 'perplexity', '#2563eb', fmtPerplexity, true);
const lossPlot = chart(el.lossChart, 140, 'loss', '#f97316', (v) => v.toFixed(3), false);

const points: EpochPoint[] = [];
const lossX: number[] = [];
const lossY: number[] = [];
let secondsTrained = 0;
let epochsTrained = 0;
let hasModel = false;
let frame = 0;

function draw(): void {
  frame = 0;
  perplexityPlot.setData([points.map((p) => p.x), points.map((p) => p.perplexity)]);
  lossPlot.setData([lossX, lossY]);
  el.chart.parentElement!.classList.toggle('empty', points.length === 0);
  el.lossChart.parentElement!.classList.toggle('empty', lossX.length === 0);
  const last = points.at(-1);
  el.perplexity.textContent = last ? fmtPerplexity(last.perplexity) : '–';
  el.tps.textContent = last ? fmtInt.format(last.tokensPerSecond) : '–';
  el.elapsed.textContent = points.length ? fmtSeconds(secondsTrained) : '–';
  el.epoch.textContent = hasModel ? fmtEpochs(epochsTrained) : '–';
}

function redraw(): void {
  if (frame === 0) frame = requestAnimationFrame(draw);
}

export function addLosses(batch: readonly [number, number][]): void {
  for (const [x, loss] of batch) {
    lossX.push(x);
    lossY.push(loss);
  }
  redraw();
}

export function addEpoch(p: EpochPoint, seconds: number): void {
  points.push(p);
  secondsTrained += seconds;
  epochsTrained = p.x;
  const row = document.createElement('tr');
  row.dataset.epoch = String(p.x);
  row.dataset.perplexity = String(p.perplexity);
  for (const text of [fmtEpochs(p.x), fmtPerplexity(p.perplexity), fmtInt.format(p.tokensPerSecond)]) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
  }
  el.epochLog.prepend(row);
  // The numbers at once (tests and people read them); the charts on the next frame.
  el.perplexity.textContent = fmtPerplexity(p.perplexity);
  el.tps.textContent = fmtInt.format(p.tokensPerSecond);
  redraw();
}

export function setModelEpochs(model: boolean, epochs: number): void {
  hasModel = model;
  epochsTrained = epochs;
  redraw();
}

export function clearHistory(): void {
  points.length = 0;
  lossX.length = 0;
  lossY.length = 0;
  secondsTrained = 0;
  epochsTrained = 0;
  el.epochLog.replaceChildren();
  el.progress.style.width = '0%';
  draw();
}

export function setProgress(step: number, batches: number): void {
  el.progress.style.width = `${Math.min(100, (100 * step) / Math.max(1, batches))}%`;
}
