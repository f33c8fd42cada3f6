// The "N dropped" note names each kind of drop with its count and explains it.
import { describe, expect, it } from 'vitest';
import { describeDrops } from '../../../src/renderer/debugger/drops';

describe('describeDrops', () => {
  it('says nothing when nothing was dropped', () => {
    expect(describeDrops({ events: 0, traces: 0, metrics: 0 }, 0, 0)).toEqual([]);
  });

  it('names every counter that is not zero, with its count, what and why', () => {
    const lines = describeDrops({ events: 1200, traces: 34, metrics: 2 }, 7, 5001);
    expect(lines.map((l) => l.short)).toEqual(['1,200 events', '7 events skipped on this connection', '2 metrics samples', '34 trace steps', '5,001 older trace steps']);
    expect(lines[0]!.explanation).toMatch(/^1,200 run events .* budget .* The host still kept them in the run's history\.$/);
    expect(lines[1]!.explanation).toMatch(/connection could not keep up/);
    expect(lines[2]!.explanation).toMatch(/thread was still busy/);
    expect(lines[3]!.explanation).toMatch(/never recorded/);
    expect(lines[4]!.explanation).toMatch(/keeps the newest 5,000\.$/);
  });
});
