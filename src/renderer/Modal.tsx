/**
 * The one modal dialog of the studio: every dialog (documents, editor questions, shortcuts, find)
 * is a `Modal`, so they all behave alike. On open, focus moves into the dialog; Tab and
 * Shift+Tab cycle through its controls and never leave it; Escape cancels; on close, focus
 * returns to the element that had it when the dialog opened. While one is open, the studio's
 * keyboard shortcuts stand aside (`modalOpen`).
 */
import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';

/** Open dialogs, newest last: only the newest one handles keys. */
const openDialogs: HTMLElement[] = [];

/** True while a modal dialog is open; keyboard shortcuts of the page are off meanwhile. */
export function modalOpen(): boolean {
  return openDialogs.length > 0;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The controls Tab reaches inside `root`, in order (hidden ones left out). */
function tabbable(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * Makes `dialog` modal for as long as the calling component is mounted: focus in (to `initial`
 * or the first control), Tab trapped, Escape calls `onCancel`, focus back to the opener after.
 */
export function useModal(dialog: RefObject<HTMLElement | null>, onCancel: () => void, initial?: RefObject<HTMLElement | null>): void {
  const cancel = useRef(onCancel);
  useEffect(() => {
    cancel.current = onCancel;
  });
  useEffect(() => {
    const root = dialog.current;
    if (!root) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    openDialogs.push(root);
    (initial?.current ?? tabbable(root)[0] ?? root).focus();
    const onKey = (e: KeyboardEvent) => {
      if (openDialogs[openDialogs.length - 1] !== root) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        cancel.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const controls = tabbable(root);
      const at = document.activeElement instanceof HTMLElement ? controls.indexOf(document.activeElement) : -1;
      const next = e.shiftKey ? (at <= 0 ? controls[controls.length - 1] : null) : at === -1 || at === controls.length - 1 ? controls[0] : null;
      if (controls.length === 0 || next) {
        e.preventDefault();
        (next ?? root).focus();
      }
    };
    // Capture: the dialog sees its keys before the page's shortcuts (on window) can.
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      openDialogs.splice(openDialogs.indexOf(root), 1);
      if (opener?.isConnected) opener.focus();
    };
  }, [dialog, initial]);
}

export interface ModalProps {
  /** Shown as the dialog's heading and its accessible name. */
  title: string;
  /** `alertdialog` for a question that interrupts (conflict, unsaved edits). */
  role?: 'dialog' | 'alertdialog';
  /** Escape, the Cancel buttons and (with `cancelOnOutsideClick`) a click outside. */
  onCancel: () => void;
  /** Id of the text that explains the dialog (`aria-describedby`). */
  describedBy?: string;
  /** The control focused on open; the first one when absent. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** For dialogs that decide nothing (shortcuts, find): a click outside closes them. */
  cancelOnOutsideClick?: boolean;
  /** The dialog box's class (`modal`) and the backdrop's (`modal-backdrop`). */
  className?: string;
  backdropClassName?: string;
  children: ReactNode;
}

export function Modal({
  title,
  role = 'dialog',
  onCancel,
  describedBy,
  initialFocus,
  cancelOnOutsideClick = false,
  className = 'modal',
  backdropClassName = 'modal-backdrop',
  children,
}: ModalProps) {
  const titleId = useId();
  const box = useRef<HTMLDivElement>(null);
  useModal(box, onCancel, initialFocus);
  return (
    <div
      className={backdropClassName}
      // A press on the backdrop must not take the focus out of the dialog.
      onMouseDown={(e) => e.target === e.currentTarget && e.preventDefault()}
      onClick={(e) => cancelOnOutsideClick && e.target === e.currentTarget && onCancel()}
    >
      <div ref={box} className={className} role={role} aria-modal="true" aria-labelledby={titleId} aria-describedby={describedBy} tabIndex={-1}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
