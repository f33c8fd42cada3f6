import { useReactFlow } from '@xyflow/react';
import { useMemo, useRef, useState } from 'react';
import { canRunHere, LANGUAGE_LABEL, languageBlocker, PACKAGE_LANGUAGES, UNSPECIFIED_GROUP, type AddonSummary } from '../../shared';
import { ADDON_DRAG_TYPE } from '../canvas/GraphCanvas';
import { groupColors } from '../canvas/graphView';
import { addNode, renameGroup } from '../editor/actions';
import { useEditor, type EditorState } from '../editor/editorStore';
import { selectGraph, useStudio, type StudioState } from '../store';

const selectExamples = (s: StudioState) => s.examples;
const selectCurrentExample = (s: StudioState) => (s.document?.origin.kind === 'example' ? s.document.origin.exampleId : null);
const selectAddonList = (s: EditorState) => s.addonList;
const selectAddonsError = (s: EditorState) => s.addonsError;
const selectNewGroup = (s: EditorState) => s.newNodeGroup;

/** Extension groups of the shown graph with their member counts, joined into one string so the selector stays stable. */
const selectGroups = (s: StudioState): string => {
  const graph = selectGraph(s);
  const counts = new Map<string, number>();
  for (const n of graph?.nodes ?? []) if (n.type === 'extension') counts.set(n.extension_group ?? UNSPECIFIED_GROUP, (counts.get(n.extension_group ?? UNSPECIFIED_GROUP) ?? 0) + 1);
  return JSON.stringify([...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])));
};

export function Sidebar({ onOpenExample }: { onOpenExample: (id: string) => void }) {
  const examples = useStudio(selectExamples);
  const current = useStudio(selectCurrentExample);
  return (
    <aside className="sidebar" aria-label="Palette">
      <h2>Examples</h2>
      <ul className="example-list">
        {examples.map((ex) => (
          <li key={ex.id}>
            <button
              type="button"
              className={ex.id === current ? 'active' : ''}
              aria-label={`Open example ${ex.title}`}
              aria-pressed={ex.id === current}
              title={ex.description}
              onClick={() => onOpenExample(ex.id)}
            >
              {ex.title}
            </button>
          </li>
        ))}
      </ul>
      <Palette />
      <GroupLegend />
    </aside>
  );
}

interface PaletteSection {
  key: string;
  title: string;
  /** Whether the studio's runtime runs packages of this section's language. */
  runs: boolean;
  hint: string;
  addons: AddonSummary[];
}

/**
 * The palette's sections: the app's own packages by language (TypeScript, Python, C++, Go,
 * other), then the built-ins, each saying whether the studio can run that language here.
 */
export function paletteSections(addons: readonly AddonSummary[]): PaletteSection[] {
  const out: PaletteSection[] = [];
  for (const language of PACKAGE_LANGUAGES) {
    const list = addons.filter((a) => a.source === 'app' && (a.language ?? 'unknown') === language);
    if (list.length === 0) continue;
    const runs = canRunHere(language);
    out.push({
      key: `app-${language}`,
      title: `App · ${LANGUAGE_LABEL[language]}`,
      runs,
      hint: runs ? `The app's ${LANGUAGE_LABEL[language]} packages: Run starts them here.` : `The app's ${LANGUAGE_LABEL[language]} packages: you can edit graphs with them, but Run cannot start them here (${languageBlocker(language) ?? ''}).`,
      addons: list,
    });
  }
  const builtins = addons.filter((a) => a.source === 'builtin');
  if (builtins.length) out.push({ key: 'builtin', title: 'Built-in · TypeScript', runs: true, hint: "The studio's own addons (TypeScript, Node.js).", addons: builtins });
  return out;
}

function Palette() {
  const addons = useEditor(selectAddonList);
  const error = useEditor(selectAddonsError);
  const newGroup = useEditor(selectNewGroup);
  const groupsJson = useStudio(selectGroups);
  const groups = useMemo(() => (JSON.parse(groupsJson) as [string, number][]).map(([g]) => g), [groupsJson]);
  const [query, setQuery] = useState('');
  const rf = useReactFlow();
  // A node added with the button lands in the middle of the visible canvas, a little off the
  // previous one so that repeated adds do not stack exactly.
  const added = useRef(0);
  const centre = () => {
    const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
    const p = box ? rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 3 }) : { x: 0, y: 0 };
    const step = (added.current++ % 8) * 24;
    return { x: Math.round(p.x + step), y: Math.round(p.y + step) };
  };
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? addons.filter((a) => a.name.toLowerCase().includes(q) || (a.description ?? '').toLowerCase().includes(q)) : addons;
  }, [addons, query]);
  const sections = useMemo(() => paletteSections(shown), [shown]);

  return (
    <section aria-label="Addon palette">
      <h2>Addons</h2>
      <div className="palette-controls">
        <input type="search" aria-label="Search addons" placeholder="Search addons…" value={query} onChange={(e) => setQuery(e.target.value)} />
        <label className="palette-group" title="Extension group of new nodes: pick one or type a new name">
          <span>Group for new nodes</span>
          <input
            aria-label="Extension group for new nodes"
            list="palette-groups"
            value={newGroup}
            onChange={(e) => useEditor.getState().setNewNodeGroup(e.target.value)}
          />
          <datalist id="palette-groups">
            {groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </label>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {sections.map((section) => (
        <section key={section.key} className="palette-section" aria-label={section.title} data-testid={`palette-section-${section.key}`}>
          <h3 title={section.hint}>
            {section.title} <span className={section.runs ? 'runs-here' : 'cannot-run'}>{section.runs ? 'runs here' : "can't run here"}</span>
          </h3>
          <ul className="palette-list">
            {section.addons.map((a) => (
              <li
                key={a.name}
                className={`palette-item${a.runsHere === false ? ' cannot-run' : ''}`}
                data-testid={`palette-${a.name}`}
                draggable
                onDragStart={(e) => {
                  e.dataTransfer.setData(ADDON_DRAG_TYPE, a.name);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                title={[a.description ?? a.name, a.cannotRun && `Cannot run here: ${a.cannotRun}.`].filter(Boolean).join('\n')}
              >
                <span className="palette-name">{a.name}</span>
                {a.runsHere === false && section.runs && (
                  <span className="palette-no-run" aria-label={`Cannot run here: ${a.cannotRun ?? ''}`}>
                    can't run
                  </span>
                )}
                <span className={`palette-source source-${a.source}`}>{a.source === 'app' ? 'app' : 'built-in'}</span>
                <button type="button" className="palette-add" aria-label={`Add ${a.name} to the graph`} title="Add to the graph (or drag onto the canvas)" onClick={() => addNode(a.name, centre())}>
                  +
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {shown.length === 0 && <p className="muted">{addons.length === 0 ? 'Loading addons…' : 'No addon matches.'}</p>}
    </section>
  );
}

const selectOpened = (s: StudioState) => s.opened;

function GroupLegend() {
  const groupsJson = useStudio(selectGroups);
  const groups = useMemo(() => JSON.parse(groupsJson) as [string, number][], [groupsJson]);
  const opened = useStudio(selectOpened);
  const colors = useMemo(() => groupColors(groups.map(([g]) => g), opened), [groups, opened]);
  if (groups.length === 0) return null;
  const rename = (from: string) =>
    useEditor.getState().setPrompt({
      title: `Rename extension group ${from}`,
      label: 'Group name',
      value: from,
      submit: (to) => (to.trim() ? renameGroup(from, to.trim()) : 'Type a group name.'),
    });
  return (
    <section aria-label="Extension groups">
      <h2>Extension groups</h2>
      <ul className="group-legend">
        {groups.map(([g, count]) => (
          <li key={g}>
            <span className="swatch" style={{ background: colors.get(g) }} aria-hidden="true" />
            <span className="group-name" title={`${count} node${count === 1 ? '' : 's'}; one thread per group`}>
              {g} <span className="muted-inline">({count})</span>
            </span>
            <button type="button" aria-label={`Rename group ${g}`} title="Rename this group" onClick={() => rename(g)}>
              ✎
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
