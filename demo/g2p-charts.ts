// The G2P tab's charts (uPlot): validation PER and WER per epoch, and the training loss of every step; a table of
// the epochs beside them.
import type uPlot from 'uplot';
import { fmtEpochs } from './dom.js';
import { fmtPercent, g2pEl as el } from './g2p-dom.js';
import type { G2PEpochPoint } from './g2p-protocol.js';
import { epochChart, lossChart, trainingHistory } from './chart-history.js';

const pct = (_u: uPlot, v: number | null) => (v == null ? '–' : fmtPercent(v));

export const g2pHistory = trainingHistory<G2PEpochPoint>({
  el,
  epochPlot: epochChart(
    el.chart,
    220,
    [
      { label: 'PER', stroke: '#2563eb', width: 2, points: { show: true, size: 5 }, value: pct },
      { label: 'WER', stroke: '#a855f7', width: 2, points: { show: true, size: 5 }, value: pct },
    ],
    { values: (_u, vals) => vals.map((v) => `${Math.round(100 * v)}%`) },
  ),
  lossPlot: lossChart(el.lossChart),
  epochData: (points) => [points.map((p) => p.x), points.map((p) => p.per), points.map((p) => p.wer)],
  showLast(last) {
    el.per.textContent = last ? fmtPercent(last.per) : '–';
    el.wer.textContent = last ? fmtPercent(last.wer) : '–';
  },
  row: (p) => ({
    dataset: { epoch: String(p.x), per: String(p.per), wer: String(p.wer) },
    cells: [fmtEpochs(p.x), p.loss.toFixed(3), fmtPercent(p.per), fmtPercent(p.wer)],
  }),
});

export const {
  addLosses: addG2PLosses,
  addEpoch: addG2PEpoch,
  setModelEpochs: setG2PModelEpochs,
  clear: clearG2PHistory,
  setProgress: setG2PProgress,
} = g2pHistory;
