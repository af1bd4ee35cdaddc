"use client";

import { useCallback, useId, useState, type ReactNode } from "react";
import { Modal } from "./Modal";

export interface ConfirmOptions {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  run: () => Promise<unknown>;
}

/**
 * `ask(options)` opens a confirmation dialog; its button runs `options.run` and closes the dialog when that
 * succeeds (an error stays in the dialog). Render `dialog` somewhere in the page.
 */
export function useConfirm(): { ask: (o: ConfirmOptions) => void; dialog: ReactNode } {
  const [open, setOpen] = useState<ConfirmOptions | null>(null);
  const close = useCallback(() => setOpen(null), []);
  return { ask: setOpen, dialog: open ? <ConfirmDialog key={open.title} options={open} onClose={close} /> : null };
}

function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose: () => void }) {
  const bodyId = useId();
  return (
    <Modal
      alert
      title={options.title}
      describedBy={bodyId}
      submitLabel={options.confirmLabel}
      busyLabel="Working…"
      danger={options.danger}
      onSubmit={async () => {
        await options.run();
        onClose();
      }}
      onClose={onClose}
      testId="confirm-dialog"
      submitTestId="confirm-ok"
    >
      <div id={bodyId} className="confirm-body">
        {options.body}
      </div>
    </Modal>
  );
}
