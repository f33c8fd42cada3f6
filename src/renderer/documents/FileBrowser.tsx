/**
 * The studio's own file browser, for browser mode (Electron uses the system's dialogs): places,
 * breadcrumbs, a filter, hidden files on request, and one listbox of the folder's entries with
 * TEN app folders, packages and `property.json` files marked. Keyboard: ↑/↓, PageUp/PageDown,
 * Home/End, Enter or → into a folder (Enter on a file chooses it), Backspace, ← or Alt+↑ to the
 * parent, and typing a name's first letters jumps to it. A folder is read a page at a time
 * (`listDirectory`) and only the rows in view are drawn, so folders of thousands of entries
 * stay quick.
 */
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type UIEvent } from 'react';
import type { DirectoryEntry, DirectoryListing, HostApi } from '../../shared';
import { baseName } from './paths';
import type { Place } from './places';

/** Entries asked for per request. */
const PAGE = 300;
/** Height of one row, in px (rows are positioned, not flowed). */
export const ROW_HEIGHT = 26;
/** Rows in view. */
const VIEW_ROWS = 10;
/** Rows drawn beyond the view on each side. */
const OVERSCAN = 8;
/** Type-ahead: letters typed within this long are one prefix. */
const TYPEAHEAD_MS = 700;

/** Hidden files are off by default, and stay as the user set them for the page's life. */
let showHiddenChoice = false;

export interface FileBrowserProps {
  host: HostApi;
  /** The folder shown first (absolute, or `~`); the home folder when it cannot be read. */
  start: string;
  places: readonly Place[];
  /**
   * A folder was entered (its listing): the first one (`start`), one the user went to in the
   * browser, `goTo`'s, or the same one again with another filter or hidden-files choice.
   */
  onFolder(listing: DirectoryListing, cause: 'start' | 'user' | 'goTo' | 'refresh'): void;
  /** An entry was selected (click, arrow keys). */
  onSelect(entry: DirectoryEntry): void;
  /** Enter or double-click on a file. */
  onChoose(entry: DirectoryEntry): void;
  /** A folder to go to from outside (a folder path typed in the path field); a new object each time. */
  goTo?: { path: string } | null;
}

interface View {
  listing: DirectoryListing;
  entries: DirectoryEntry[];
}

const MARK_LABEL: Record<NonNullable<DirectoryEntry['ten']>, string> = { app: 'TEN app', package: 'TEN package', property: 'TEN property' };

function describe(e: DirectoryEntry): string {
  const parts = [e.name, e.kind === 'dir' ? 'folder' : e.kind === 'file' ? 'file' : 'other'];
  if (e.ten) parts.push(MARK_LABEL[e.ten]);
  if (e.link) parts.push(e.link === 'broken' ? 'broken link' : 'link');
  return parts.join(', ');
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function placeName(p: Place): string {
  if (p.kind === 'home') return 'Home';
  return baseName(p.path) || p.path;
}

export function FileBrowser({ host, start, places, onFolder, onSelect, onChoose, goTo }: FileBrowserProps) {
  const [view, setView] = useState<View | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(-1);
  const [scrollTop, setScrollTop] = useState(0);
  const [filter, setFilter] = useState('');
  const [showHidden, setShowHidden] = useState(showHiddenChoice);
  const listRef = useRef<HTMLDivElement>(null);
  const seq = useRef(0);
  const typed = useRef({ text: '', at: 0 });
  const id = useId();
  const startRef = useRef(start);
  const callbacks = useRef({ onFolder, onSelect, onChoose });
  useEffect(() => {
    callbacks.current = { onFolder, onSelect, onChoose };
  });

  /** Shows `path` (first page); `focusName` is selected when it is among the entries (the folder we came up from). */
  const navigate = useCallback(
    async (path: string, options: { focusName?: string; hidden?: boolean; match?: string; fallback?: boolean; cause?: 'start' | 'user' | 'goTo' | 'refresh' } = {}) => {
      const mine = ++seq.current;
      setLoading(true);
      try {
        const listing = await host.listDirectory({ path, showHidden: options.hidden ?? showHiddenChoice, limit: PAGE, ...(options.match ? { match: options.match } : {}) });
        if (mine !== seq.current) return;
        const at = options.focusName === undefined ? -1 : listing.entries.findIndex((e) => e.name === options.focusName);
        setView({ listing, entries: listing.entries });
        setError(null);
        setActive(at);
        const top = at > VIEW_ROWS - 2 ? (at - 2) * ROW_HEIGHT : 0;
        setScrollTop(top);
        if (listRef.current) listRef.current.scrollTop = top;
        callbacks.current.onFolder(listing, options.cause ?? 'user');
      } catch (err) {
        if (mine !== seq.current) return;
        if (options.fallback) {
          void navigate('~', { cause: 'start' });
          return;
        }
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [host],
  );

  useEffect(() => {
    // Only the first folder comes from `start`; later ones from the user.
    void navigate(startRef.current, { fallback: true, cause: 'start' });
  }, [navigate]);

  useEffect(() => {
    if (goTo) {
      setFilter('');
      void navigate(goTo.path, { cause: 'goTo' });
    }
  }, [goTo, navigate]);

  const folder = view?.listing.path ?? null;
  const entries = view?.entries ?? [];
  const total = view?.listing.total ?? 0;

  // Loads the next page when the rows drawn come near the end of what is loaded.
  const loadingMore = useRef(false);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(entries.length, Math.ceil(scrollTop / ROW_HEIGHT) + VIEW_ROWS + OVERSCAN);
  useEffect(() => {
    if (!view || loadingMore.current || entries.length >= total || last < entries.length - OVERSCAN) return;
    loadingMore.current = true;
    const mine = seq.current;
    host
      .listDirectory({ path: view.listing.path, showHidden, offset: entries.length, limit: PAGE, ...(filter.trim() ? { match: filter.trim() } : {}) })
      .then(
        (page) => {
          if (mine !== seq.current) return;
          setView((v) => (v && v.listing.path === page.path ? { listing: { ...v.listing, total: page.total }, entries: [...v.entries, ...page.entries] } : v));
        },
        (err: unknown) => mine === seq.current && setError(err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        loadingMore.current = false;
      });
  }, [view, entries.length, total, last, host, showHidden, filter]);

  // The filter asks the host (a folder may hold more than is loaded), a moment after typing stops.
  const filterTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onFilter = (text: string) => {
    setFilter(text);
    clearTimeout(filterTimer.current);
    if (folder) filterTimer.current = setTimeout(() => void navigate(folder, { match: text.trim(), cause: 'refresh' }), 200);
  };
  useEffect(() => () => clearTimeout(filterTimer.current), []);

  const select = (i: number) => {
    const e = entries[i];
    if (!e) return;
    setActive(i);
    callbacks.current.onSelect(e);
    // Keep the active row in view (it may not be drawn yet).
    const list = listRef.current;
    if (!list) return;
    const top = i * ROW_HEIGHT;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
    setScrollTop(list.scrollTop);
  };

  const enter = (e: DirectoryEntry, choose: boolean) => {
    if (e.kind === 'dir') {
      setFilter('');
      void navigate(e.path);
    } else if (e.kind === 'file' && choose) callbacks.current.onChoose(e);
    else if (e.link === 'broken') setError(`${e.name} is a broken link.`);
  };

  const up = () => {
    const listing = view?.listing;
    if (!listing?.parent) return;
    setFilter('');
    void navigate(listing.parent, { focusName: baseName(listing.path) });
  };

  const onKeyDown = (ev: KeyboardEvent<HTMLDivElement>) => {
    const current = entries[active];
    // Any other key ends a type-ahead prefix.
    if (ev.key.length !== 1) typed.current = { text: '', at: 0 };
    const step = (to: number) => select(Math.max(0, Math.min(entries.length - 1, to)));
    switch (ev.key) {
      case 'ArrowDown':
        step(active + 1);
        break;
      case 'ArrowUp':
        if (ev.altKey) up();
        else step(active - 1);
        break;
      case 'PageDown':
        step(active + VIEW_ROWS);
        break;
      case 'PageUp':
        step(active - VIEW_ROWS);
        break;
      case 'Home':
        step(0);
        break;
      case 'End':
        step(entries.length - 1);
        break;
      case 'Enter':
        if (current) enter(current, true);
        break;
      case 'ArrowRight':
        if (current?.kind === 'dir') enter(current, false);
        else return;
        break;
      case 'ArrowLeft':
      case 'Backspace':
        up();
        break;
      default: {
        if (ev.key.length !== 1 || ev.ctrlKey || ev.metaKey || ev.altKey) return;
        const now = Date.now();
        typed.current = { text: (now - typed.current.at < TYPEAHEAD_MS ? typed.current.text : '') + ev.key.toLowerCase(), at: now };
        const prefix = typed.current.text;
        const from = prefix.length === 1 ? active + 1 : Math.max(active, 0);
        for (let k = 0; k < entries.length; k++) {
          const i = (from + k) % entries.length;
          if (entries[i]!.name.toLowerCase().startsWith(prefix)) {
            select(i);
            break;
          }
        }
      }
    }
    ev.preventDefault();
    ev.stopPropagation();
  };

  const onScroll = (ev: UIEvent<HTMLDivElement>) => setScrollTop(ev.currentTarget.scrollTop);

  const rows = [];
  for (let i = first; i < last; i++) {
    const e = entries[i]!;
    rows.push(
      <div
        key={e.path}
        id={`${id}-${i}`}
        role="option"
        aria-selected={i === active}
        data-testid={`entry-${e.name}`}
        className={`fb-row fb-${e.kind}${e.ten ? ` fb-ten-${e.ten}` : ''}${i === active ? ' active' : ''}${e.kind === 'file' && !/\.json$/i.test(e.name) ? ' fb-dim' : ''}`}
        style={{ top: i * ROW_HEIGHT, height: ROW_HEIGHT }}
        title={e.path}
        onMouseDown={(ev) => ev.preventDefault()}
        onClick={() => {
          listRef.current?.focus();
          select(i);
        }}
        onDoubleClick={() => enter(e, true)}
      >
        <span className="fb-name">
          {e.name}
          {e.kind === 'dir' ? '/' : ''}
        </span>
        <span className="sr-only">{describe(e).slice(e.name.length)}</span>
        {e.ten && <span className={`fb-mark fb-mark-${e.ten}`}>{MARK_LABEL[e.ten]}</span>}
        {e.link && <span className="fb-link">{e.link === 'broken' ? 'broken link' : 'link'}</span>}
        <span className="fb-size">{size(e.size)}</span>
        <span className="fb-date">{e.mtimeMs === undefined ? '' : new Date(e.mtimeMs).toLocaleDateString()}</span>
      </div>,
    );
  }

  const listing = view?.listing;
  const status = loading
    ? 'Loading…'
    : listing
      ? `${total.toLocaleString('en-US')} item${total === 1 ? '' : 's'}${entries.length < total ? `, ${entries.length.toLocaleString('en-US')} loaded (scroll for more)` : ''}${listing.hidden ? ` · ${listing.hidden} hidden` : ''}${listing.ten === 'app' ? ' · this folder is a TEN app' : ''}`
      : '';

  return (
    <div className="file-browser">
      <nav className="fb-places" aria-label="Places">
        {places.map((p) => (
          <button
            key={p.path}
            type="button"
            className={p.path === folder || (p.kind === 'home' && folder === listing?.home) ? 'current' : ''}
            aria-label={`Go to ${p.kind === 'home' ? 'home folder' : p.kind === 'document' ? "the document's folder" : 'recent place'} ${p.path}`}
            title={p.path}
            onClick={() => {
              setFilter('');
              void navigate(p.path);
            }}
          >
            <span className="fb-place-kind">{p.kind === 'document' ? 'Document' : p.kind === 'home' ? '' : 'Recent'}</span>
            {placeName(p)}
          </button>
        ))}
      </nav>
      <div className="fb-main">
        <div className="fb-bar">
          <button type="button" aria-label="Parent folder" title="Parent folder (Backspace)" disabled={!listing?.parent} onClick={up}>
            ↑
          </button>
          <nav className="fb-crumbs" aria-label="Breadcrumbs">
            {(listing?.crumbs ?? []).map((c, i, all) => (
              <button
                key={c.path}
                type="button"
                aria-label={`Go to ${c.path}`}
                aria-current={i === all.length - 1 ? 'location' : undefined}
                onClick={() => {
                  setFilter('');
                  void navigate(c.path);
                }}
              >
                {c.name}
              </button>
            ))}
          </nav>
        </div>
        <div className="fb-bar">
          <input type="search" aria-label="Filter this folder" placeholder="Filter this folder…" value={filter} onChange={(e) => onFilter(e.target.value)} />
          <label className="fb-hidden">
            <input
              type="checkbox"
              aria-label="Show hidden files"
              checked={showHidden}
              onChange={(e) => {
                showHiddenChoice = e.target.checked;
                setShowHidden(e.target.checked);
                if (folder) void navigate(folder, { hidden: e.target.checked, match: filter.trim(), cause: 'refresh' });
              }}
            />
            Hidden files
          </label>
        </div>
        <div
          ref={listRef}
          className="fb-list"
          role="listbox"
          tabIndex={0}
          aria-label={listing ? `Entries of ${listing.path}` : 'Folder entries'}
          aria-busy={loading}
          aria-activedescendant={active >= first && active < last ? `${id}-${active}` : undefined}
          style={{ height: VIEW_ROWS * ROW_HEIGHT }}
          onKeyDown={onKeyDown}
          onScroll={onScroll}
        >
          <div style={{ height: entries.length * ROW_HEIGHT, position: 'relative' }}>{rows}</div>
        </div>
        <p className="fb-status muted" role="status" aria-live="polite">
          {!loading && listing && entries.length === 0 ? (filter.trim() ? 'Nothing here matches the filter. ' : 'This folder is empty. ') : ''}
          {status}
        </p>
        {error && (
          <p className="error" role="alert" data-testid="browser-error">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
