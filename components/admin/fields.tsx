"use client";

/** Form fields of the administration pages: a checked name, a required choice from a list, the role picker. */
import { useId } from "react";
import type { RouterOutputs } from "~/components/trpc/react";
import type { Role } from "~/components/ui/session";

/** A required name (an id, a user name), its rule in words under it: in red while `valid` is false. */
export function NameField({
  label,
  rule,
  value,
  onChange,
  valid,
  placeholder,
  maxLength,
  disabled,
  testId,
}: {
  label: string;
  rule: string;
  value: string;
  onChange: (value: string) => void;
  valid: boolean;
  placeholder: string;
  maxLength?: number;
  disabled?: boolean;
  testId?: string;
}) {
  const hint = useId();
  return (
    <label className="field">
      {label}
      <input
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        required
        disabled={disabled}
        maxLength={maxLength}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={!valid}
        aria-describedby={hint}
        data-testid={testId}
      />
      <span id={hint} className={valid ? "hint" : "adm-field-error"}>
        {rule}
      </span>
    </label>
  );
}

interface PickOneProps {
  prompt: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  testId?: string;
}

/** A required choice without a visible label (inside a table row): `label` names it for screen readers. */
export function PickOneSelect({ label, prompt, value, onChange, options, testId }: PickOneProps & { label?: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} required aria-label={label} data-testid={testId}>
      <option value="" disabled>
        {prompt}
      </option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** A required choice: a "Choose…" prompt until one of `options` is picked. */
export function PickOne({ label, className, ...select }: PickOneProps & { label: string; className?: string }) {
  return (
    <label className={className ? `field ${className}` : "field"}>
      {label}
      <PickOneSelect {...select} />
    </label>
  );
}

/** The roles as radio options, each with what it allows; none above `max`. */
export function RolePicker({ roles, value, onChange, max, legend }: { roles: RouterOutputs["members"]["roles"]; value: Role; onChange: (r: Role) => void; max?: Role; legend: string }) {
  const name = useId();
  const maxIndex = max ? roles.findIndex((r) => r.role === max) : roles.length - 1;
  return (
    <fieldset className="adm-roles">
      <legend>{legend}</legend>
      {roles.map((r, i) => (
        <label key={r.role} className="adm-role" title={i > maxIndex ? `More than your own role (${max})` : undefined}>
          <input type="radio" name={name} value={r.role} checked={value === r.role} onChange={() => onChange(r.role)} disabled={i > maxIndex} data-testid={`pick-role-${r.role}`} />
          <span>
            <strong>{r.role}</strong>
            <span className="d">{r.description}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
