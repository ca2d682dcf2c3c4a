// What both tabs' charts share: a uPlot chart against epochs that follows its container's width, and the training
// history behind a tab's charts (epoch points, per-step losses, the epoch table, the progress bar and the numbers
// under them). Points arrive from the engine; drawing waits for the next frame, the numbers show at once.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtEpochs, fmtSeconds } from './dom.js';

const axis = { stroke: '#475569', grid: { stroke: '#e2e8f0' } };
const epochIncrs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** A chart of `series` against the epoch (x), `logY` for a log-scale y axis; legend only with several series. */
export function epochChart(target: HTMLElement, height: number, series: uPlot.Series[], yAxis: uPlot.Axis = {}, logY = false): uPlot {
  const plot = new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height,
      scales: { x: { time: false }, y: logY ? { distr: 3 } : {} },
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

/** The per-step loss chart, the same on both tabs but for its points (uPlot's default: shown while sparse). */
export function lossChart(target: HTMLElement, points?: uPlot.Series.Points): uPlot {
  const value = (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(3));
  return epochChart(target, 140, [{ label: 'loss', stroke: '#f97316', width: 1, ...(points ? { points } : {}), value }]);
}

export interface HistoryView<P extends { x: number }> {
  el: { chart: HTMLElement; lossChart: HTMLElement; epochLog: HTMLElement; progress: HTMLElement; elapsed: HTMLElement; epoch: HTMLElement };
  epochPlot: uPlot;
  lossPlot: uPlot;
  /** The epoch chart's data: x, then one array per series. */
  epochData(points: readonly P[]): uPlot.AlignedData;
  /** Shows the tab's own numbers of the last epoch (undefined: none yet). */
  showLast(last: P | undefined): void;
  /** An epoch table row: its data- attributes and its cells' text. */
  row(p: P): { dataset: Record<string, string>; cells: string[] };
}

export interface TrainingHistory<P> {
  addLosses(batch: readonly [number, number][]): void;
  addEpoch(p: P, seconds: number): void;
  setModelEpochs(model: boolean, epochs: number): void;
  clear(): void;
  setProgress(step: number, batches: number): void;
}

export function trainingHistory<P extends { x: number }>(view: HistoryView<P>): TrainingHistory<P> {
  const { el } = view;
  const points: P[] = [];
  const lossX: number[] = [];
  const lossY: number[] = [];
  let secondsTrained = 0;
  let epochsTrained = 0;
  let hasModel = false;
  let frame = 0;

  function showNumbers(): void {
    view.showLast(points.at(-1));
    el.elapsed.textContent = points.length ? fmtSeconds(secondsTrained) : '–';
    el.epoch.textContent = hasModel ? fmtEpochs(epochsTrained) : '–';
  }

  function draw(): void {
    frame = 0;
    view.epochPlot.setData(view.epochData(points));
    view.lossPlot.setData([lossX, lossY]);
    el.chart.parentElement!.classList.toggle('empty', points.length === 0);
    el.lossChart.parentElement!.classList.toggle('empty', lossX.length === 0);
    showNumbers();
  }

  function redraw(): void {
    if (frame === 0) frame = requestAnimationFrame(draw);
  }

  return {
    addLosses(batch) {
      for (const [x, loss] of batch) {
        lossX.push(x);
        lossY.push(loss);
      }
      redraw();
    },
    addEpoch(p, seconds) {
      points.push(p);
      secondsTrained += seconds;
      epochsTrained = p.x;
      const { dataset, cells } = view.row(p);
      const tr = document.createElement('tr');
      Object.assign(tr.dataset, dataset);
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      el.epochLog.prepend(tr);
      showNumbers(); // the numbers at once (tests and people read them), the charts on the next frame
      redraw();
    },
    setModelEpochs(model, epochs) {
      hasModel = model;
      epochsTrained = epochs;
      redraw();
    },
    clear() {
      points.length = 0;
      lossX.length = 0;
      lossY.length = 0;
      secondsTrained = 0;
      epochsTrained = 0;
      el.epochLog.replaceChildren();
      el.progress.style.width = '0%';
      draw();
    },
    setProgress(step, batches) {
      el.progress.style.width = `${Math.min(100, (100 * step) / Math.max(1, batches))}%`;
    },
  };
}
