"use client";

import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useAuthor } from "~/components/ui/author";
import { errorMessage } from "~/components/ui/errors";

/**
 * A small form dialog that asks for the user's name (remembered in this browser, as for saving revisions) and,
 * optionally, a reason; `onSubmit` does the work and may throw a message for the user.
 */
export function RunDialog({
  title,
  children,
  submitLabel,
  busyLabel,
  withReason,
  onSubmit,
  onClose,
  testId,
}: {
  title: string;
  children?: ReactNode;
  submitLabel: string;
  busyLabel: string;
  withReason?: boolean;
  onSubmit: (input: { author: string; reason: string }) => Promise<void>;
  onClose: () => void;
  testId?: string;
}) {
  const [author, setAuthor] = useAuthor();
  const [name, setName] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => setName(author), [author]);
  useEffect(() => (withReason ? reasonRef.current : nameRef.current)?.focus(), [withReason]);
  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", esc);
    return () => window.removeEventListener("keydown", esc);
  }, [onClose, busy]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setAuthor(name.trim());
      await onSubmit({ author: name.trim(), reason: reason.trim() });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="run-dialog-title" onSubmit={(e) => void submit(e)} data-testid={testId}>
        <h2 id="run-dialog-title">{title}</h2>
        {children}
        {withReason && (
          <label className="field">
            <span>
              Reason <span className="hint">(optional; shown on the run)</span>
            </span>
            <textarea ref={reasonRef} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Roll out the new NTP servers" maxLength={2000} data-testid="launch-reason" />
          </label>
        )}
        <label className="field">
          Your name
          <input ref={nameRef} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="jane" required maxLength={100} data-testid="author-name" />
        </label>
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button className="btn primary" disabled={busy || !name.trim()} data-testid="dialog-submit">
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
