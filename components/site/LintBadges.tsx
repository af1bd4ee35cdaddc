export function LintBadges({ errors, warnings }: { errors: number; warnings: number }) {
  if (!errors && !warnings) return <span className="badge ok">✓ valid</span>;
  return (
    <span className="row">
      {errors > 0 && <span className="badge error">✕ {errors} {errors === 1 ? "error" : "errors"}</span>}
      {warnings > 0 && <span className="badge warn">▲ {warnings} {warnings === 1 ? "warning" : "warnings"}</span>}
    </span>
  );
}
