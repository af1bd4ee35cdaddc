"use client";

import { useRef, useState, type ReactNode } from "react";
import { Modal } from "~/components/ui/Modal";

/**
 * A dialog that requests a run, optionally asking for a reason; `onSubmit` does the work and may throw a message
 * for the user. Who asks is the signed-in user: the server records it.
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
  const reasonRef = useRef<HTMLTextAreaElement>(null);

  return (
    <Modal
      title={title}
      submitLabel={submitLabel}
      busyLabel={busyLabel}
      canSubmit={askReason !== "required" || reason.trim() !== ""}
      initialFocus={askReason ? reasonRef : "submit"}
      onSubmit={() => onSubmit({ reason: reason.trim() })}
      onClose={onClose}
      testId={testId}
    >
      {children}
      {askReason && (
        <label className="field">
          <span>
            Reason <span className="hint">{askReason === "required" ? "(required: the approver reads it before deciding)" : "(optional; shown on the run)"}</span>
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
    </Modal>
  );
}
