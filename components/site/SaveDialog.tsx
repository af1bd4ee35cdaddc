"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { useAuthor } from "~/components/ui/author";
import { errorMessage } from "~/components/ui/errors";
import { useWorkspace } from "./workspace";

/** Save every unsaved file as one revision, with a message (and, until accounts exist, an author name). */
export function SaveDialog({ onClose }: { onClose: () => void }) {
  const w = useWorkspace();
  const [author, setAuthor] = useAuthor();
  const [name, setName] = useState("");
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const messageRef = useRef<HTMLInputElement>(null);
  const errors = w.diagnostics.filter((d) => d.severity === "error").length;

  useEffect(() => setName(author), [author]);
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
      setAuthor(name.trim());
      await w.save({ message, author: name.trim() });
      onClose();
    } catch (err) {
      setError(errorMessage(err));
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
        <label className="field">
          Your name
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="jane" required maxLength={100} />
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
          <button className="btn primary" disabled={w.saving || !message.trim() || !name.trim()}>
            {w.saving ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </div>
  );
}
