"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode, type RefObject } from "react";
import { errorSentence } from "./errors";

const FOCUSABLE = 'button:not(:disabled), [href], input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/**
 * A dialog that does one thing: a title, its text or fields, Cancel and a submit button. Submitting runs
 * `onSubmit`, busy meanwhile; it closes the dialog or leaves the page when it succeeds, and what it throws is
 * shown in the dialog in words for the user. Escape, Cancel and a click beside the dialog close it (not while
 * busy); Tab stays inside; focus starts on `initialFocus` (Cancel unless said: the safe choice) and goes back to
 * where it was when the dialog closes.
 */
export function Modal({
  title,
  children,
  submitLabel,
  busyLabel,
  danger = false,
  canSubmit = true,
  onSubmit,
  onClose,
  alert = false,
  describedBy,
  initialFocus,
  testId,
  submitTestId = "dialog-submit",
}: {
  title: string;
  children?: ReactNode;
  submitLabel: string;
  busyLabel: string;
  /** A destructive action: the submit button is red. */
  danger?: boolean;
  canSubmit?: boolean;
  onSubmit: () => Promise<unknown>;
  onClose: () => void;
  /** A confirmation (role alertdialog), described by the element with the id `describedBy`. */
  alert?: boolean;
  describedBy?: string;
  initialFocus?: RefObject<HTMLElement | null> | "submit";
  testId?: string;
  submitTestId?: string;
}) {
  const titleId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Read while rendering: a field that takes focus when mounted would otherwise be taken for the opener.
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));

  useEffect(() => {
    const first = initialFocus === "submit" ? submitRef : (initialFocus ?? cancelRef);
    first.current?.focus();
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, [initialFocus, opener]);
  useEffect(() => {
    const esc = (e: globalThis.KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", esc);
    return () => window.removeEventListener("keydown", esc);
  }, [busy, onClose]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || !canSubmit) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit();
    } catch (err) {
      setError(errorSentence(err));
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form
        className="modal"
        role={alert ? "alertdialog" : "dialog"}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        onSubmit={(e) => void submit(e)}
        onKeyDown={keepTabInside}
        data-testid={testId}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy} ref={cancelRef}>
            Cancel
          </button>
          <button ref={submitRef} className={`btn ${danger ? "danger" : "primary"}`} disabled={busy || !canSubmit} data-testid={submitTestId}>
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </div>
  );
}

/** Tab and Shift+Tab wrap around inside the dialog. */
function keepTabInside(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== "Tab") return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = items[0];
  const last = items[items.length - 1];
  const wrapTo = e.shiftKey ? (document.activeElement === first ? last : null) : document.activeElement === last ? first : null;
  if (wrapTo) {
    e.preventDefault();
    wrapTo.focus();
  }
}
