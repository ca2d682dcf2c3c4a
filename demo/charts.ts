// The perplexity of every epoch (uPlot, log scale, with a log table beside it) and, under it, the loss of every
// step, which moves within seconds of Start.
import { el, fmtEpochs, fmtInt, fmtPerplexity } from './dom.js';
import type { EpochPoint } from './protocol.js';
import { epochChart, lossChart, trainingHistory } from './chart-history.js';

export const history = trainingHistory<EpochPoint>({
  el,
  epochPlot: epochChart(
    el.chart,
    240,
    [{ label: 'perplexity', stroke: '#2563eb', width: 2, points: { show: true, size: 5 }, value: (_u, v) => (v == null ? '–' : fmtPerplexity(v)) }],
    {},
    true,
  ),
  lossPlot: lossChart(el.lossChart, { show: false, size: 5 }),
  epochData: (points) => [points.map((p) => p.x), points.map((p) => p.perplexity)],
  showLast(last) {
    el.perplexity.textContent = last ? fmtPerplexity(last.perplexity) : '–';
    el.tps.textContent = last ? fmtInt.format(last.tokensPerSecond) : '–';
  },
  row: (p) => ({
    dataset: { epoch: String(p.x), perplexity: String(p.perplexity) },
    cells: [fmtEpochs(p.x), fmtPerplexity(p.perplexity), fmtInt.format(p.tokensPerSecond)],
  }),
});

export const { addLosses, addEpoch, setModelEpochs, setProgress } = history;
export const clearHistory = history.clear;
