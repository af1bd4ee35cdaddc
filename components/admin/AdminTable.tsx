/** The tables of the administration pages, and the status flags in their cells. */
import type { ReactNode } from "react";

/**
 * A table in a scrolling frame: a head cell for each column (false leaves a column out), with `actions` a last,
 * unlabelled column for the rows' buttons; `children` are the rows.
 */
export function AdminTable({ columns, actions = false, className, testId, children }: { columns: (string | false)[]; actions?: boolean; className?: string; testId?: string; children: ReactNode }) {
  return (
    <div className="adm-table-wrap">
      <table className={className ? `grid ${className}` : "grid"} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => c !== false && <th key={c}>{c}</th>)}
            {actions && (
              <th className="adm-actions">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A small status word with an icon (never colour alone). */
export function Flag({ tone, icon, children, title, testId }: { tone: "ok" | "warn" | "error" | "accent" | ""; icon: ReactNode; children: ReactNode; title?: string; testId?: string }) {
  return (
    <span className={`badge ${tone}`} title={title} data-testid={testId}>
      <span aria-hidden="true">{icon}</span> {children}
    </span>
  );
}
