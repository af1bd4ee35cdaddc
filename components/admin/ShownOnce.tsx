"use client";

/** Secrets the server shows exactly once (one-time passwords, tokens, kiosk URLs), and the buttons that copy them. */
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { CopyIcon, KeyIcon } from "./icons";

/** Copies `text`; says "Copied" for a moment (and to screen readers). Falls back to selecting for Ctrl+C. */
function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <button type="button" className="btn small" onClick={() => void copy()} aria-live="polite">
      {state === "copied" ? <span aria-hidden="true">✓</span> : <CopyIcon />} {state === "copied" ? "Copied" : state === "failed" ? "Press Ctrl+C" : "Copy"}
    </button>
  );
}

/** A read-only value in a monospace box with a copy button; focus selects all of it. */
export function CopyField({ value, label, testId, multiline = false }: { value: string; label: string; testId?: string; multiline?: boolean }) {
  const id = useId();
  return (
    <div className="adm-copy">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      {multiline ? (
        <textarea id={id} className="adm-copy-value mono" readOnly value={value} rows={2} onFocus={(e) => e.currentTarget.select()} data-testid={testId} spellCheck={false} />
      ) : (
        <input id={id} type="text" className="adm-copy-value mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} data-testid={testId} spellCheck={false} />
      )}
      <CopyButton text={value} />
    </div>
  );
}

/**
 * A secret the server returns exactly once (a one-time password, a token): a highlighted box that says so,
 * and a button to put it away once it has been copied.
 */
export function ShownOnce({ title, value, valueLabel, onDone, children, testId }: { title: string; value: string; valueLabel: string; onDone: () => void; children?: ReactNode; testId?: string }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section className="card adm-once" aria-labelledby="adm-once-title" tabIndex={-1} ref={ref} data-testid={testId}>
      <div className="adm-once-head">
        <span className="adm-once-icon" aria-hidden="true">
          <KeyIcon />
        </span>
        <h2 id="adm-once-title">{title}</h2>
        <span className="badge warn" data-testid="shown-once">
          Shown once
        </span>
      </div>
      <CopyField value={value} label={valueLabel} testId="secret-value" />
      <p className="adm-once-note">
        <strong>Copy it now.</strong> Flightdeck keeps only a hash of it: once you leave or close this box it cannot be shown again.
      </p>
      {children}
      <div>
        <button type="button" className="btn" onClick={onDone} data-testid="shown-once-done">
          I have copied it
        </button>
      </div>
    </section>
  );
}
