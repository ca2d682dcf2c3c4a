// The two tabs (character LM, G2P): one panel shown at a time, the choice kept in the URL's hash (#g2p).
import { g2pEl } from './g2p-dom.js';

export type Tab = 'lm' | 'g2p';

export function setUpTabs(onShow: (tab: Tab) => void): void {
  const show = (tab: Tab) => {
    g2pEl.tabLm.setAttribute('aria-selected', String(tab === 'lm'));
    g2pEl.tabG2p.setAttribute('aria-selected', String(tab === 'g2p'));
    g2pEl.lmPanel.hidden = tab !== 'lm';
    g2pEl.panel.hidden = tab !== 'g2p';
    document.body.dataset.tab = tab;
    history.replaceState(null, '', tab === 'g2p' ? '#g2p' : location.pathname + location.search);
    onShow(tab);
  };
  g2pEl.tabLm.addEventListener('click', () => show('lm'));
  g2pEl.tabG2p.addEventListener('click', () => show('g2p'));
  show(location.hash === '#g2p' ? 'g2p' : 'lm');
}
