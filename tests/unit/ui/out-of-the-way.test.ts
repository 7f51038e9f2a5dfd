import { describe, expect, it } from 'vitest';
import { alternativesTo, decideMove, mirrored, type Corner } from '../../../widget/ui/out-of-the-way.js';

describe('keeping the widget out of the way', () => {
  it('tries the other edge first, then the other side, then both', () => {
    expect(alternativesTo('bottom-right')).toEqual(['top-right', 'bottom-left', 'top-left']);
    expect(alternativesTo('top-left')).toEqual(['bottom-left', 'top-right', 'bottom-right']);
  });

  it('mirrors the widget’s boxes about the middle of the screen, as the CSS places them', () => {
    const sheet = { left: 8, right: 382, top: 675, bottom: 836 };
    expect(mirrored([sheet], 'bottom-right', 'top-right', 390, 844)).toEqual([{ left: 8, right: 382, top: 8, bottom: 169 }]);
    expect(mirrored([{ left: 275, right: 382, top: 800, bottom: 836 }], 'bottom-right', 'top-left', 390, 844)).toEqual([{ left: 8, right: 115, top: 8, bottom: 44 }]);
    expect(mirrored([sheet], 'bottom-right', 'bottom-right', 390, 844)).toEqual([sheet]);
  });

  const costs = (table: Partial<Record<Corner, number>>) => (corner: Corner) => table[corner] ?? 0;
  it('stays where it covers nothing, even if elsewhere is free too', () => {
    expect(decideMove('bottom-right', costs({}), true)).toBeNull();
  });

  it('moves to the first corner that covers nothing', () => {
    expect(decideMove('bottom-right', costs({ 'bottom-right': 1, 'bottom-left': 1 }), true)).toEqual({ corner: 'top-right' });
    expect(decideMove('bottom-right', costs({ 'bottom-right': 1, 'top-right': 1 }), true)).toEqual({ corner: 'bottom-left' });
  });

  it('folds when every corner covers something, and it may', () => {
    const everywhere = costs({ 'bottom-right': 2, 'bottom-left': 2, 'top-right': 1, 'top-left': 1 });
    expect(decideMove('bottom-right', everywhere, true)).toEqual({ fold: true });
    // A question waiting for an answer cannot fold: the corner that covers least.
    expect(decideMove('bottom-right', everywhere, false)).toEqual({ corner: 'top-right' });
  });

  it('never moves to a corner that is no better', () => {
    expect(decideMove('top-right', costs({ 'bottom-right': 100, 'bottom-left': 100, 'top-right': 100, 'top-left': 100 }), false)).toBeNull();
  });
});
