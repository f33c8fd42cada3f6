/**
 * Editor state that is not the document: the addon catalogue, the latest problems, overlays
 * (find, help, prompts) and the clipboard. Kept apart from the document store so that badges and
 * overlays change without touching the graph's subscribers.
 */
import { create } from 'zustand';
import type { AddonSummary, TenNode, MsgKind, NodePosition } from '../../shared';
import { badgesOf, type BadgeInfo, type Problem } from './problems';

/** A question the editor asks in a small dialog (a message name, a graph name). */
export interface PromptRequest {
  title: string;
  /** Text field label and initial value. */
  label: string;
  value: string;
  /** When set, the dialog also asks for the message kind. */
  kind?: MsgKind;
  /** Returns an error text to show (the dialog stays open), or null when accepted. */
  submit(value: string, kind?: MsgKind): string | null;
}

/** Copied nodes with the connections among them and their positions relative to the first one. */
export interface ClipboardContent {
  nodes: TenNode[];
  connections: { kind: MsgKind; name: string; from: string; to: string }[];
  offsets: Record<string, NodePosition>;
}

export interface EditorState {
  addons: Record<string, AddonSummary>;
  addonList: AddonSummary[];
  addonsError: string | null;
  problems: Problem[];
  /** Problems per node and edge of the graph shown, for the badges. */
  nodeBadges: Record<string, BadgeInfo>;
  edgeBadges: Record<string, BadgeInfo>;
  /** True while the document shown has changes not yet checked by the host. */
  validating: boolean;
  /** The last refused action (a connection, an edit) and why, shown over the canvas. */
  notice: string | null;
  findOpen: boolean;
  helpOpen: boolean;
  prompt: PromptRequest | null;
  clipboard: ClipboardContent | null;
  /** Extension group given to nodes dropped from the palette. */
  newNodeGroup: string;
  /**
   * A node or edge the canvas should select and bring into view (neither: the whole graph);
   * `seq` makes repeats count.
   */
  focus: { node?: string; edge?: string; seq: number } | null;
  setAddons(list: AddonSummary[]): void;
  setAddonsError(message: string | null): void;
  setProblems(problems: Problem[], graph: string | null): void;
  setValidating(validating: boolean): void;
  showBadgesFor(graph: string | null): void;
  setNotice(notice: string | null): void;
  setFindOpen(open: boolean): void;
  setHelpOpen(open: boolean): void;
  setPrompt(prompt: PromptRequest | null): void;
  setClipboard(content: ClipboardContent): void;
  setNewNodeGroup(group: string): void;
  requestFocus(target: { node?: string; edge?: string }): void;
}

export const useEditor = create<EditorState>()((set, get) => ({
  addons: {},
  addonList: [],
  addonsError: null,
  problems: [],
  nodeBadges: {},
  edgeBadges: {},
  validating: false,
  notice: null,
  findOpen: false,
  helpOpen: false,
  prompt: null,
  clipboard: null,
  newNodeGroup: 'default',
  focus: null,
  setAddons: (addonList) => set({ addonList, addons: Object.fromEntries(addonList.map((a) => [a.name, a])), addonsError: null }),
  setAddonsError: (addonsError) => set({ addonsError }),
  setProblems: (problems, graph) => {
    const badges = badgesOf(problems, graph);
    set({ problems, nodeBadges: badges.nodes, edgeBadges: badges.edges, validating: false });
  },
  setValidating: (validating) => set({ validating }),
  showBadgesFor: (graph) => {
    const badges = badgesOf(get().problems, graph);
    set({ nodeBadges: badges.nodes, edgeBadges: badges.edges });
  },
  setNotice: (notice) => set({ notice }),
  setFindOpen: (findOpen) => set({ findOpen }),
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  setPrompt: (prompt) => set({ prompt }),
  setClipboard: (clipboard) => set({ clipboard }),
  setNewNodeGroup: (newNodeGroup) => set({ newNodeGroup }),
  requestFocus: (target) => set((s) => ({ focus: { ...target, seq: (s.focus?.seq ?? 0) + 1 } })),
}));
