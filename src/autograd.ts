// wr.autograd: torch.autograd's entry points.
export { backward, noGrad, isGradEnabled } from './core/autograd.js';
