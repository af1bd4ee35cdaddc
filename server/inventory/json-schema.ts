/** The JSON Schema the editor validates YAML against, generated from the zod schemas. */
import { z } from "zod";
import { DOCUMENT_KINDS } from "./schemas";

export function siteJsonSchema(): Record<string, unknown> {
  const branches = Object.values(DOCUMENT_KINDS).map((k) => {
    const schema = z.toJSONSchema(k.schema, { io: "input", unrepresentable: "any" });
    delete schema.$schema;
    return { if: { properties: { kind: kindCondition(k.example) }, required: ["kind"] }, then: schema };
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Flightdeck site document",
    type: "object",
    properties: {
      kind: {
        type: "string",
        description:
          "What this document is: `inventory` (or `inventory.<flavour>`), `profile`, `blueprint`, `deployment`, or a part of the site design: `maas` (a region), `network` or `hardware_profile`.",
        examples: Object.values(DOCUMENT_KINDS).map((k) => k.example),
      },
    },
    required: ["kind", "api_version", "spec"],
    allOf: branches,
  };
}

function kindCondition(example: string): Record<string, unknown> {
  return example.startsWith("inventory") ? { pattern: "^inventory(\\.[A-Za-z0-9_.-]+)?$" } : { const: example };
}
