"use client";

import { useRef, useState } from "react";
import { Modal } from "~/components/ui/Modal";
import { useWorkspace } from "./workspace";

/** Save every unsaved file as one revision, with a message; the revision's author is the signed-in user. */
export function SaveDialog({ onClose }: { onClose: () => void }) {
  const w = useWorkspace();
  const [message, setMessage] = useState("");
  const messageRef = useRef<HTMLInputElement>(null);
  const errors = w.diagnostics.filter((d) => d.severity === "error").length;

  return (
    <Modal
      title={`Save revision ${(w.revision ?? 0) + 1}`}
      submitLabel="Save"
      busyLabel="Saving…"
      canSubmit={message.trim() !== ""}
      initialFocus={messageRef}
      onSubmit={async () => {
        await w.save({ message });
        onClose();
      }}
      onClose={onClose}
    >
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
    </Modal>
  );
}
