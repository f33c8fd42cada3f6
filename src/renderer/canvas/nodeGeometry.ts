/**
 * Where a node's ports are and how large the node is, without the DOM.
 *
 * The canvas renders only the nodes and edges in view (`onlyRenderVisibleElements`), and React
 * Flow draws an edge only when it knows both end nodes' size and handles. A node that was never
 * on screen was never measured, so every flow node carries this estimate (`initialWidth`,
 * `initialHeight`, `handles`) until the DOM has measured it. The sizes below are the node's box
 * model: `ExtensionNode` applies them as inline styles (`NODE_STYLES`), so the estimate and the
 * drawing come from the same numbers; `styles.css` keeps only their colours, fonts and flex
 * layout.
 */
import { Position, type NodeHandle } from '@xyflow/react';
import type { CSSProperties } from 'react';
import type { MsgKind } from '../../shared';
import { ANY_IN, ANY_OUT, portHandleId, type PortView } from '../editor/model';

/** The full node's box model, in flow pixels. */
export const NODE_BOX = {
  minWidth: 200,
  border: 1,
  /** The left border, in the extension group's colour. */
  band: 5,
  padTop: 8,
  padBottom: 6,
  /** Left and right padding of the head, the group line and each port row. */
  padX: 12,
  nameLine: 16,
  addonLine: 13,
  groupGap: 4,
  groupLine: 13,
  /** Space between the head (or group line) and the first port row. */
  portsGap: 6,
  rowHeight: 16,
  rowGap: 2,
  /** Space between the input and the output column. */
  columnGap: 12,
  /** Gap between a port's kind and its name. */
  kindGap: 4,
  handle: 9,
} as const;

const B = NODE_BOX;

/** Inline styles of the full node's parts, from `NODE_BOX`. */
export const NODE_STYLES = {
  node: { borderWidth: `${B.border}px ${B.border}px ${B.border}px ${B.band}px`, padding: `${B.padTop}px 0 ${B.padBottom}px`, minWidth: B.minWidth },
  head: { padding: `0 ${B.padX}px` },
  name: { lineHeight: `${B.nameLine}px` },
  addon: { lineHeight: `${B.addonLine}px` },
  group: { padding: `0 ${B.padX}px`, marginTop: B.groupGap, lineHeight: `${B.groupLine}px` },
  ports: { marginTop: B.portsGap, columnGap: B.columnGap },
  column: { rowGap: B.rowGap },
  row: { height: B.rowHeight, lineHeight: `${B.rowHeight}px`, padding: `0 ${B.padX}px`, columnGap: B.kindGap },
  handle: { width: B.handle, height: B.handle },
} satisfies Record<string, CSSProperties>;

/** The kind as a port row shows it. */
export const KIND_SHORT: Record<MsgKind, string> = { cmd: 'cmd', data: 'data', audio_frame: 'audio', video_frame: 'video' };

/** One row of a node's input or output column: a message port, or (`port: null`) the `any` port last. */
export interface PortRow {
  id: string;
  port: PortView | null;
}

/** The rows of one side, top to bottom, as the node draws them; ids are `portHandleId`'s. */
export function portRows(direction: 'in' | 'out', ports: readonly PortView[]): PortRow[] {
  return [...ports.map((port) => ({ id: portHandleId(direction, port.kind, port.name), port })), { id: direction === 'in' ? ANY_IN : ANY_OUT, port: null }];
}

/** What the geometry of a node depends on. */
export interface NodeShape {
  name: string;
  addon: string;
  /** Empty: no group line. */
  group: string;
  inPorts: readonly PortView[];
  outPorts: readonly PortView[];
}

export interface NodeGeometry {
  width: number;
  height: number;
  /** One per port row, relative to the node's top left corner, as React Flow measures handles. */
  handles: NodeHandle[];
}

/**
 * Average advance of a character in em for the UI font (system-ui). Text widths are a guess: a
 * node is at least `minWidth` wide and only long names make it wider.
 */
const CHAR_EM = 0.62;
const text = (chars: number, fontPx: number) => chars * fontPx * CHAR_EM;

function rowWidth(row: PortRow): number {
  const content = row.port ? text(KIND_SHORT[row.port.kind].length, 9) + B.kindGap + text(row.port.name.length, 11) : text('any'.length, 11);
  return 2 * B.padX + content;
}

/** Top of the first port row. */
function portsTop(shape: NodeShape): number {
  const group = shape.group ? B.groupGap + B.groupLine : 0;
  return B.border + B.padTop + B.nameLine + B.addonLine + group + B.portsGap;
}

/**
 * The full node's size and handles. A running node's live strip (about 22 px more above the
 * ports) and the width of its texts are not followed exactly; the DOM's measurement replaces this
 * once the node has been on screen.
 */
export function nodeGeometry(shape: NodeShape): NodeGeometry {
  const inRows = portRows('in', shape.inPorts);
  const outRows = portRows('out', shape.outPorts);
  const head = 2 * B.padX + Math.max(text(shape.name.length, 13), text(shape.addon.length, 12));
  const group = shape.group ? 2 * B.padX + text(shape.group.length + 2, 11) : 0;
  const ports = Math.max(...inRows.map(rowWidth)) + B.columnGap + Math.max(...outRows.map(rowWidth));
  const width = Math.ceil(Math.max(B.minWidth, B.band + B.border + Math.max(head, group, ports)));
  const top = portsTop(shape);
  const rows = Math.max(inRows.length, outRows.length);
  const height = top + rows * B.rowHeight + (rows - 1) * B.rowGap + B.padBottom + B.border;
  const rowY = (i: number) => top + i * (B.rowHeight + B.rowGap) + (B.rowHeight - B.handle) / 2;
  const handles: NodeHandle[] = [
    ...inRows.map((r, i) => ({ id: r.id, type: 'target' as const, position: Position.Left, x: B.band - B.handle / 2, y: rowY(i), width: B.handle, height: B.handle })),
    ...outRows.map((r, i) => ({ id: r.id, type: 'source' as const, position: Position.Right, x: width - B.border - B.handle / 2, y: rowY(i), width: B.handle, height: B.handle })),
  ];
  return { width, height, handles };
}
