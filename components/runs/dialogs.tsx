"use client";

import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { errorSentence } from "~/components/ui/errors";

/**
 * A small form dialog, optionally asking for a reason; `onSubmit` does the work and may throw a message for the
 * user. Who asks is the signed-in user: the server records it.
 */
export function RunDialog({
  title,
  children,
  submitLabel,
  busyLabel,
  reason: askReason,
  onSubmit,
  onClose,
  testId,
}: {
  title: string;
  children?: ReactNode;
  submitLabel: string;
  busyLabel: string;
  /** Ask why: "optional" or "required" (reviewers read it before they approve). */
  reason?: "optional" | "required";
  onSubmit: (input: { reason: string }) => Promise<void>;
  onClose: () => void;
  testId?: string;
}) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  useEffect(() => (askReason ? reasonRef.current : submitRef.current)?.focus(), [askReason]);
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
      await onSubmit({ reason: reason.trim() });
    } catch (err) {
      setError(errorSentence(err));
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="run-dialog-title" onSubmit={(e) => void submit(e)} data-testid={testId}>
        <h2 id="run-dialog-title">{title}</h2>
        {children}
        {askReason && (
          <label className="field">
            <span>
              Reason{" "}
              <span className="hint">{askReason === "required" ? "(required: the approver reads it before deciding)" : "(optional; shown on the run)"}</span>
            </span>
            <textarea
              ref={reasonRef}
              rows={3}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="Roll out the new NTP servers (change CHG-1234)"
              maxLength={2000}
              required={askReason === "required"}
              data-testid="launch-reason"
            />
          </label>
        )}
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button ref={submitRef} className="btn primary" disabled={busy || (askReason === "required" && !reason.trim())} data-testid="dialog-submit">
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
