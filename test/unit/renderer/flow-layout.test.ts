// A real TEN app opened without a layout sidecar is laid out by data flow: ranks by the longest
// path, left to right, few crossings, nothing overlapping.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodePosition, TenAppProperty, TenGraph } from '../../../src/shared';
import { FLOW_LAYOUT_MAX_NODES, flowLayout, initialLayout, nodeSizes } from '../../../src/renderer/canvas/flowLayout';
import { graphToCanvas, layeredLayout, type CanvasModel } from '../../../src/renderer/canvas/graphView';
import { layoutBoxes, layoutQuality, type LayoutBox } from '../../../src/renderer/canvas/layoutQuality';

const VOICE = '../shared/ten-corpus/apps/voice-assistant/property.json';

type Box = LayoutBox;

function boxes(model: CanvasModel, positions: Map<string, NodePosition>): Map<string, Box> {
  return layoutBoxes(positions, nodeSizes(model, {}));
}

function overlaps(at: Map<string, Box>): string[] {
  const list = [...at.entries()];
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [an, a] = list[i]!;
      const [bn, b] = list[j]!;
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) out.push(`${an}/${bn}`);
    }
  }
  return out;
}

describe('opening a TEN app without a layout sidecar', () => {
  it.skipIf(!existsSync(VOICE))("lays out TEN's voice-assistant by data flow (../shared/ten-corpus is needed)", () => {
    const property = JSON.parse(readFileSync(VOICE, 'utf8')) as TenAppProperty;
    const graph = property.ten!.predefined_graphs![0]!.graph as TenGraph;
    const model = graphToCanvas(graph);
    expect(model.nodes).toHaveLength(8);
    expect(model.edges).toHaveLength(10);

    const grid = boxes(model, layeredLayout(model.nodes.map((n) => n.name), model.edges));
    const flow = boxes(model, initialLayout(model, {}));
    const before = layoutQuality(grid, model.edges);
    const after = layoutQuality(flow, model.edges);
    console.log(`voice-assistant without a sidecar: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    expect(after.crossings).toBe(0);
    expect(after.backwards).toBe(0);
    expect(after.crossings + after.throughNodes).toBeLessThan(before.crossings + before.throughNodes);
    expect(overlaps(flow)).toEqual([]);

    // Left to right by the longest path: the audio path agora_rtc → streamid_adapter → stt → main_control.
    const x = (n: string) => flow.get(n)!.x;
    expect(x('agora_rtc')).toBeLessThan(x('streamid_adapter'));
    expect(x('streamid_adapter')).toBeLessThan(x('stt'));
    expect(x('stt')).toBeLessThan(x('main_control'));
    // tts and message_collector feed agora_rtc, so they come before it.
    expect(x('tts')).toBeLessThan(x('agora_rtc'));
    expect(x('message_collector')).toBeLessThan(x('agora_rtc'));
  });

  it('gives every node a place and overlaps none, cycles and self-loops included', () => {
    const graph: TenGraph = {
      nodes: ['a', 'b', 'c', 'd'].map((name) => ({ type: 'extension', name, addon: 'x', extension_group: 'g' })),
      connections: [
        { extension: 'a', data: [{ name: 'm', dest: [{ extension: 'b' }, { extension: 'a' }] }] },
        { extension: 'b', data: [{ name: 'm', dest: [{ extension: 'c' }] }] },
        { extension: 'c', cmd: [{ name: 'back', dest: [{ extension: 'a' }] }] },
      ],
    };
    const model = graphToCanvas(graph);
    const placed = flowLayout(model, {});
    expect([...placed.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(overlaps(boxes(model, placed))).toEqual([]);
  });

  it('places a graph beyond the flow layout limit with the linear layered layout', () => {
    const names = Array.from({ length: FLOW_LAYOUT_MAX_NODES + 1 }, (_, i) => `n${i}`);
    const graph: TenGraph = {
      nodes: names.map((name) => ({ type: 'extension', name, addon: 'x' })),
      connections: names.slice(1).map((n, i) => ({ extension: names[i]!, data: [{ name: 'm', dest: [{ extension: n }] }] })),
    };
    const model = graphToCanvas(graph);
    expect(initialLayout(model, {})).toEqual(layeredLayout(names, model.edges));
  });
});
