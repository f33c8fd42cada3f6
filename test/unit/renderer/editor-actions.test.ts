import { beforeEach, describe, expect, it } from 'vitest';
import type { GraphDocument, TenGraph } from '../../../src/shared';
import { addGraph, addNode, autoLayout, copySelection, deleteSelection, duplicateSelection, paste, removeGraph, renameGraph, renameGroup, renameNode, replaceNodeProperty, setNodeProperty } from '../../../src/renderer/editor/actions';
import { useEditor } from '../../../src/renderer/editor/editorStore';
import { selectGraph, useStudio } from '../../../src/renderer/store';

const graph: TenGraph = {
  nodes: [
    { type: 'extension', name: 'a', addon: 'gen', extension_group: 'g1' },
    { type: 'extension', name: 'b', addon: 'sink', extension_group: 'g1', property: { x: 1 } },
  ],
  connections: [{ extension: 'a', data: [{ name: 'tick', dest: [{ extension: 'b' }] }] }],
};
const doc: GraphDocument = {
  id: 'example:t',
  title: 't',
  origin: { kind: 'example', exampleId: 't' },
  property: { ten: { predefined_graphs: [{ name: 'main', graph }] } },
  layout: { version: 1, graphs: { main: { nodes: { a: { x: 0, y: 0 }, b: { x: 300, y: 0 } } } } },
};

const shown = () => selectGraph(useStudio.getState())!;
const names = () => shown().nodes.map((n) => n.name);

beforeEach(() => {
  useStudio.getState().openDocument(doc);
  useEditor.setState({ clipboard: null, notice: null, newNodeGroup: 'default' });
});

describe('editor commands', () => {
  it('adds a node with a unique name, the chosen group and its position', () => {
    expect(addNode('gen', { x: 5, y: 6 })).toBe('gen_1');
    expect(addNode('gen', { x: 7, y: 8 })).toBe('gen_2');
    expect(shown().nodes.at(-1)).toEqual({ type: 'extension', name: 'gen_2', addon: 'gen', extension_group: 'default' });
    expect(useStudio.getState().document!.layout!.graphs.main!.nodes.gen_2).toEqual({ x: 7, y: 8 });
    expect(useStudio.getState().selectedNode).toBe('gen_2');
  });

  it('starts a graph when the document has none', () => {
    useStudio.getState().openDocument({ ...doc, property: { ten: {} }, layout: undefined });
    expect(addNode('gen', { x: 0, y: 0 })).toBe('gen_1');
    expect(useStudio.getState().graphName).toBe('main');
    useStudio.getState().undo();
    expect(useStudio.getState().document!.property.ten!.predefined_graphs).toEqual([]);
  });

  it('deletes selected connections and nodes in one step, with their positions', () => {
    useStudio.getState().setSelection([], ['a-data-tick-b']);
    deleteSelection();
    expect(shown().connections).toEqual([]);
    useStudio.getState().setSelection(['b'], []);
    deleteSelection();
    expect(names()).toEqual(['a']);
    expect(useStudio.getState().document!.layout!.graphs.main!.nodes.b).toBeUndefined();
    useStudio.getState().undo();
    useStudio.getState().undo();
    expect(shown()).toEqual(graph);
  });

  it('copies and pastes nodes with the connections among them under fresh names', () => {
    useStudio.getState().setSelection(['a', 'b'], []);
    expect(copySelection()).toBe(true);
    paste();
    expect(names()).toEqual(['a', 'b', 'a_1', 'b_1']);
    expect(shown().connections).toContainEqual({ extension: 'a_1', data: [{ name: 'tick', dest: [{ extension: 'b_1' }] }] });
    expect(useStudio.getState().document!.layout!.graphs.main!.nodes.b_1).toEqual({ x: 340, y: 40 });
    expect(useStudio.getState().selectedNodes).toEqual(['a_1', 'b_1']);
    duplicateSelection();
    expect(names()).toEqual(['a', 'b', 'a_1', 'b_1', 'a_2', 'b_2']);
    expect(useEditor.getState().clipboard!.nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('renames nodes, groups and graphs, carrying the layout', () => {
    expect(renameNode('a', 'src')).toBeNull();
    expect(shown().connections![0]!.extension).toBe('src');
    expect(useStudio.getState().document!.layout!.graphs.main!.nodes.src).toEqual({ x: 0, y: 0 });
    expect(renameNode('src', 'b')).toBe("A node named 'b' already exists.");
    expect(renameGroup('g1', 'workers')).toBeNull();
    expect(shown().nodes.map((n) => (n.type === 'extension' ? n.extension_group : ''))).toEqual(['workers', 'workers']);
    expect(renameGraph('main', 'pipeline')).toBeNull();
    expect(useStudio.getState().graphName).toBe('pipeline');
    expect(useStudio.getState().document!.layout!.graphs.pipeline).toBeDefined();
    expect(renameGraph('pipeline', '1bad')).toMatch(/not a valid graph name/);
    expect(addGraph('pipeline')).toBe("A graph named 'pipeline' already exists.");
    expect(addGraph('second')).toBeNull();
    expect(useStudio.getState().graphName).toBe('second');
    expect(removeGraph('second')).toBeNull();
    expect(useStudio.getState().graphName).toBe('pipeline');
  });

  it('sets, removes and replaces properties', () => {
    expect(setNodeProperty('b', 'y', 2)).toBeNull();
    expect(shown().nodes[1]).toMatchObject({ property: { x: 1, y: 2 } });
    expect(setNodeProperty('b', 'x', undefined)).toBeNull();
    expect(shown().nodes[1]).toMatchObject({ property: { y: 2 } });
    expect(replaceNodeProperty('b', { z: [1] })).toBeNull();
    expect((shown().nodes[1] as { property: unknown }).property).toEqual({ z: [1] });
    useStudio.getState().undo();
    expect((shown().nodes[1] as { property: unknown }).property).toEqual({ y: 2 });
  });

  it('replaces properties holding integers beyond 2^53, changing only what differs', () => {
    expect(setNodeProperty('b', 'id', 18446744073709551615n)).toBeNull();
    expect(replaceNodeProperty('b', { x: 1, id: 18446744073709551615n, seed: 9007199254740993n })).toBeNull();
    expect((shown().nodes[1] as { property: unknown }).property).toEqual({ x: 1, id: 18446744073709551615n, seed: 9007199254740993n });
    useStudio.getState().undo();
    expect((shown().nodes[1] as { property: unknown }).property).toEqual({ x: 1, id: 18446744073709551615n });
  });

  it('lays every node out left to right as one undoable step', () => {
    autoLayout();
    const nodes = useStudio.getState().document!.layout!.graphs.main!.nodes;
    expect(nodes.b!.x).toBeGreaterThan(nodes.a!.x);
    useStudio.getState().undo();
    expect(useStudio.getState().document!.layout).toEqual(doc.layout);
  });
});
