"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { errorSentence } from "~/components/ui/errors";
import { useWorkspace } from "./workspace";

/** Save every unsaved file as one revision, with a message; the revision's author is the signed-in user. */
export function SaveDialog({ onClose }: { onClose: () => void }) {
  const w = useWorkspace();
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const messageRef = useRef<HTMLInputElement>(null);
  const errors = w.diagnostics.filter((d) => d.severity === "error").length;

  useEffect(() => messageRef.current?.focus(), []);
  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", esc);
    return () => window.removeEventListener("keydown", esc);
  }, [onClose]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await w.save({ message });
      onClose();
    } catch (err) {
      setError(errorSentence(err));
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="save-title" onSubmit={(e) => void submit(e)}>
        <h2 id="save-title">Save revision {(w.revision ?? 0) + 1}</h2>
        <div className="muted">
          Files: {w.dirty.map((p) => <code key={p} style={{ marginRight: 8 }}>{p}</code>)}
        </div>
        <label className="field">
          What changed and why
          <input ref={messageRef} type="text" value={message} onChange={(e) => setMessage(e.target.value)} placeholder="Move kvm-2 to rack r2" required maxLength={2000} />
        </label>
        {errors > 0 && (
          <div className="notice warn">
            ▲ The site will have {errors} lint {errors === 1 ? "error" : "errors"}. You can save work in progress, but runs need a clean site.
          </div>
        )}
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={w.saving || !message.trim()}>
            {w.saving ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </div>
  );
}
