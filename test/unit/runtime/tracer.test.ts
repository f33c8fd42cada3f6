// The worker-side tracer: which edges it picks, how it samples data but keeps cmds, and its
// budget per time window (the rest is counted, not buffered).
import { describe, expect, it } from 'vitest';
import { newWireMsg } from '../../../src/runtime/core/wire';
import { Tracer } from '../../../src/runtime/routing/tracer';

const data = () => newWireMsg('data', 'tick');
function cmd() {
  const w = newWireMsg('cmd', 'ping');
  w.cmdId = 'c1';
  return w;
}

describe('Tracer', () => {
  it('matches edges by pair, by source, by destination, or all', () => {
    const t = new Tracer({ edges: [{ src: 'a', dest: 'b' }, { src: 'x' }, { dest: 'z' }], sampleEvery: 1 }, 'g');
    expect(t.wants(data(), 'a', 'b')).toBe(true);
    expect(t.wants(data(), 'a', 'c')).toBe(false);
    expect(t.wants(data(), 'x', 'anything')).toBe(true);
    expect(t.wants(data(), 'anything', 'z')).toBe(true);
    expect(t.wants(data(), 'b', 'a')).toBe(false);
    const all = new Tracer({ edges: [{}], sampleEvery: 1 }, 'g');
    expect(all.wants(data(), 'p', 'q')).toBe(true);
  });

  it('keeps one in N data messages but every cmd', () => {
    const t = new Tracer({ edges: [{}], sampleEvery: 4 }, 'g');
    const picked = Array.from({ length: 12 }, () => t.wants(data(), 'a', 'b')).filter(Boolean).length;
    expect(picked).toBe(3);
    expect(Array.from({ length: 5 }, () => t.wants(cmd(), 'a', 'b')).every(Boolean)).toBe(true);
  });

  it('records steps with their fields, a properties preview on send, and counts what is over budget', () => {
    const t = new Tracer({ edges: [{}], sampleEvery: 1 }, 'grp');
    const w = cmd();
    w.props = { text: 'x'.repeat(500) };
    t.record('sent', w, 'a', 'b');
    t.record('delivered', w, 'a', 'b', 0.25, 'renamed');
    for (let i = 0; i < 600; i++) t.record('sent', data(), 'a', 'b');
    const taken = t.take()!;
    expect(taken.records[0]).toMatchObject({ stage: 'sent', type: 'cmd', name: 'ping', src: 'a', dest: 'b', cmdId: 'c1', group: 'grp' });
    expect(taken.records[0]!.preview!.length).toBeLessThan(200);
    expect(taken.records[1]).toMatchObject({ stage: 'delivered', cmdId: 'renamed', durMs: 0.25 });
    expect(taken.records[1]!.ts).toBeLessThanOrEqual(Date.now());
    // At most 500 per 50 ms window: every step is either kept or counted, and a loop that
    // spans at most two windows keeps at most twice the budget.
    expect(taken.records.length + taken.dropped).toBe(602);
    expect(taken.records.length).toBeLessThanOrEqual(2 * 500);
    expect(t.take()).toBeNull();
  });
});
