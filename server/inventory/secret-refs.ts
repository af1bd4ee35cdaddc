/**
 * Lint of `secret:some.key` references: every inventory and profile value written `secret:x.y` must name a key
 * of the site's secrets file (`secrets.yml` or `secrets.yaml` at the site root), and so must the references
 * other modules find outside data (a MAAS region's `api_key`, from ./design). sops keeps key names in clear,
 * so this needs no private key.
 */
import { isSecretsError } from "../secrets/errors";
import { secretKeyNames } from "../secrets/sops";
import type { Diagnostic } from "./diagnostics";
import type { Data, Place, SiteModel } from "./model";
import type { SiteFile } from "./source";
import { didYouMean } from "../template/suggest";

const PREFIX = "secret:";
const SECRETS_FILES = ["secrets.yml", "secrets.yaml"];

/** A `secret:` reference: where it is written (the path inside its document) and the key it names. */
export interface SecretReference {
  place: Place;
  path: (string | number)[];
  key: string;
}

export function secretReferenceDiagnostics(files: readonly SiteFile[], model: SiteModel, extra: readonly SecretReference[] = []): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const present = SECRETS_FILES.map((name) => files.find((f) => f.path === name)).filter((f): f is SiteFile => !!f);
  const secrets = present[0];
  for (const extra of present.slice(1)) {
    diagnostics.push({ file: extra.path, line: 1, col: 1, endLine: 1, endCol: 1, severity: "warning", message: `both ${secrets!.path} and ${extra.path} exist; only ${secrets!.path} is used` });
  }

  let keys: Set<string> | undefined;
  let unreadable = false;
  if (secrets) {
    try {
      keys = new Set(secretKeyNames(secrets.content, secrets.path));
    } catch (e) {
      if (!isSecretsError(e)) throw e;
      unreadable = true;
      const line = e.line ?? 1;
      const col = e.col ?? 1;
      diagnostics.push({ file: secrets.path, line, col, endLine: line, endCol: col, severity: "error", message: e.detail });
    }
  }

  const references = [...collect(model), ...extra];
  if (unreadable) return diagnostics; // the file's own error says it all
  for (const ref of references) {
    if (!keys) {
      diagnostics.push(ref.place.src.diagnostic(ref.path, "error", `secret '${ref.key}' is referenced, but the site has no secrets.yml`));
    } else if (!keys.has(ref.key)) {
      diagnostics.push(ref.place.src.diagnostic(ref.path, "error", `secret '${ref.key}' is not a key of ${secrets!.path}${didYouMean(ref.key, keys)}`));
    }
  }
  return diagnostics;
}

/** Every `secret:` reference in the data and connection of hosts, groups and profiles. */
function collect(model: SiteModel): SecretReference[] {
  const out: SecretReference[] = [];
  const places: (Place & { data?: Data; connection?: Data })[] = [...model.hosts.values(), ...model.groups.values(), ...model.profiles.values()];
  for (const place of places) {
    for (const field of ["data", "connection"] as const) {
      const walk = (value: unknown, path: (string | number)[]) => {
        if (typeof value === "string") {
          if (value.startsWith(PREFIX) && value.length > PREFIX.length) out.push({ place, path, key: value.slice(PREFIX.length) });
        } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
        else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      };
      walk(place[field], [...place.path, field]);
    }
  }
  return out;
}
