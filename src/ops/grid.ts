// The grid helpers live in core (the core's own fill kernel uses them); ops import them from here.
export { grid, rowGrid } from '../core/grid.js';
