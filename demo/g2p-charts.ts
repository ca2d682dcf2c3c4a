// The G2P tab's charts (uPlot): validation PER and WER per epoch, and the training loss of every step; a table of
// the epochs beside them. Points arrive from the engine; drawing waits for the next frame.
import uPlot from 'uplot';
import { fmtEpochs, fmtSeconds } from './dom.js';
import { fmtPercent, g2pEl as el } from './g2p-dom.js';
import type { G2PEpochPoint } from './g2p-protocol.js';

const axis = { stroke: '#475569', grid: { stroke: '#e2e8f0' } };
const epochIncrs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

function chart(target: HTMLElement, height: number, series: uPlot.Series[], yAxis: uPlot.Axis): uPlot {
  const plot = new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height,
      scales: { x: { time: false } },
      series: [{ label: 'epoch', value: (_u, v) => (v == null ? '–' : fmtEpochs(v)) }, ...series],
      axes: [{ ...axis, label: 'epoch', incrs: epochIncrs }, { ...axis, size: 56, ...yAxis }],
      legend: { show: series.length > 1 },
    },
    [[], ...series.map(() => [])],
    target,
  );
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, target.clientWidth), height })).observe(target);
  return plot;
}

const pct = (_u: uPlot, v: number | null) => (v == null ? '–' : fmtPercent(v));
const errorPlot = chart(el.chart, 220, [
  { label: 'PER', stroke: '#2563eb', width: 2, points: { show: true, size: 5 }, value: pct },
  { label: 'WER', stroke: '#a855f7', width: 2, points: { show: true, size: 5 }, value: pct },
], { values: (_u, vals) => vals.map((v) => `${Math.round(100 * v)}%`) });
const lossPlot = chart(el.lossChart, 140, [{ label: 'loss', stroke: '#f97316', width: 1, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) }], {});

const points: G2PEpochPoint[] = [];
const lossX: number[] = [];
const lossY: number[] = [];
let secondsTrained = 0;
let epochsTrained = 0;
let hasModel = false;
let frame = 0;

function draw(): void {
  frame = 0;
  errorPlot.setData([points.map((p) => p.x), points.map((p) => p.per), points.map((p) => p.wer)]);
  lossPlot.setData([lossX, lossY]);
  el.chart.parentElement!.classList.toggle('empty', points.length === 0);
  el.lossChart.parentElement!.classList.toggle('empty', lossX.length === 0);
  showNumbers();
}

function showNumbers(): void {
  const last = points.at(-1);
  el.per.textContent = last ? fmtPercent(last.per) : '–';
  el.wer.textContent = last ? fmtPercent(last.wer) : '–';
  el.elapsed.textContent = points.length ? fmtSeconds(secondsTrained) : '–';
  el.epoch.textContent = hasModel ? fmtEpochs(epochsTrained) : '–';
}

function redraw(): void {
  if (frame === 0) frame = requestAnimationFrame(draw);
}

export function addG2PLosses(batch: readonly [number, number][]): void {
  for (const [x, loss] of batch) {
    lossX.push(x);
    lossY.push(loss);
  }
  redraw();
}

export function addG2PEpoch(p: G2PEpochPoint, seconds: number): void {
  points.push(p);
  secondsTrained += seconds;
  epochsTrained = p.x;
  const row = document.createElement('tr');
  row.dataset.epoch = String(p.x);
  row.dataset.per = String(p.per);
  row.dataset.wer = String(p.wer);
  for (const text of [fmtEpochs(p.x), p.loss.toFixed(3), fmtPercent(p.per), fmtPercent(p.wer)]) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
  }
  el.epochLog.prepend(row);
  showNumbers(); // the numbers at once, the charts on the next frame
  redraw();
}

export function setG2PModelEpochs(model: boolean, epochs: number): void {
  hasModel = model;
  epochsTrained = epochs;
  redraw();
}

export function clearG2PHistory(): void {
  points.length = 0;
  lossX.length = 0;
  lossY.length = 0;
  secondsTrained = 0;
  epochsTrained = 0;
  el.epochLog.replaceChildren();
  el.progress.style.width = '0%';
  draw();
}

export function setG2PProgress(step: number, batches: number): void {
  el.progress.style.width = `${Math.min(100, (100 * step) / Math.max(1, batches))}%`;
}
