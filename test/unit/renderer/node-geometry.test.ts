import { Position } from '@xyflow/react';
import { describe, expect, it } from 'vitest';
import type { PortView } from '../../../src/renderer/editor/model';
import { NODE_BOX, nodeGeometry, portRows } from '../../../src/renderer/canvas/nodeGeometry';

const port = (kind: PortView['kind'], name: string): PortView => ({ kind, name, declared: true });
const inPorts = [port('cmd', 'start'), port('data', 'tick')];
const outPorts = [port('data', 'tick'), port('audio_frame', 'pcm'), port('cmd', 'done')];

describe('nodeGeometry', () => {
  it('gives one handle per port row with the ids the node renders, inputs left, outputs right', () => {
    const g = nodeGeometry({ name: 'relay', addon: 'forwarder', group: 'g1', inPorts, outPorts });
    expect(g.handles.map((h) => [h.id, h.type, h.position])).toEqual([
      ['in:cmd:start', 'target', Position.Left],
      ['in:data:tick', 'target', Position.Left],
      ['in:*', 'target', Position.Left],
      ['out:data:tick', 'source', Position.Right],
      ['out:audio_frame:pcm', 'source', Position.Right],
      ['out:cmd:done', 'source', Position.Right],
      ['out:*', 'source', Position.Right],
    ]);
    expect(g.handles.map((h) => h.id)).toEqual([...portRows('in', inPorts), ...portRows('out', outPorts)].map((r) => r.id));
  });

  it('places handles on the node edges, one row pitch apart, and sizes the node to its rows', () => {
    // As Chromium lays out a node of the hello-pipeline example with this box model: 200 wide,
    // first handle 64.5 below the top, rows 18 apart, 4 rows high = 138.
    const g = nodeGeometry({ name: 'relay', addon: 'forwarder', group: 'g1', inPorts, outPorts });
    expect(g.width).toBe(NODE_BOX.minWidth);
    expect(g.height).toBe(138);
    const inputs = g.handles.filter((h) => h.type === 'target');
    const outputs = g.handles.filter((h) => h.type === 'source');
    expect(inputs.map((h) => [h.x, h.y])).toEqual([
      [0.5, 64.5],
      [0.5, 82.5],
      [0.5, 100.5],
    ]);
    expect(outputs.map((h) => [h.x, h.y])).toEqual([
      [194.5, 64.5],
      [194.5, 82.5],
      [194.5, 100.5],
      [194.5, 118.5],
    ]);
    for (const h of g.handles) expect([h.width, h.height]).toEqual([NODE_BOX.handle, NODE_BOX.handle]);
    // The last row's handle ends inside the node.
    expect(outputs.at(-1)!.y + NODE_BOX.handle).toBeLessThan(g.height);
  });

  it('moves the rows up without a group line and keeps the any ports of a node without ports', () => {
    const withGroup = nodeGeometry({ name: 'n', addon: 'a', group: 'g', inPorts: [], outPorts: [] });
    const without = nodeGeometry({ name: 'n', addon: 'a', group: '', inPorts: [], outPorts: [] });
    expect(without.handles.map((h) => h.id)).toEqual(['in:*', 'out:*']);
    expect(withGroup.handles[0]!.y - without.handles[0]!.y).toBe(NODE_BOX.groupGap + NODE_BOX.groupLine);
    expect(withGroup.height - without.height).toBe(NODE_BOX.groupGap + NODE_BOX.groupLine);
  });

  it('widens a node with a long name and keeps its outputs on the right edge', () => {
    const g = nodeGeometry({ name: 'a_very_long_extension_name_that_does_not_fit', addon: 'forwarder', group: 'g', inPorts, outPorts });
    expect(g.width).toBeGreaterThan(NODE_BOX.minWidth);
    for (const h of g.handles.filter((h) => h.type === 'source')) expect(h.x + NODE_BOX.handle / 2).toBe(g.width - NODE_BOX.border);
  });
});
