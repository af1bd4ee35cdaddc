/**
 * REST tour: introspection (part A). A machine's own variables answer only to its run's introspection token while
 * the run runs; test/api/introspect.test.ts follows a real one (a MAAS deploy) to the end. Here: what others get.
 */
import assert from "node:assert/strict";
import { tourCase, type TourCase } from "./types";

export const cases: TourCase[] = [
  tourCase({
    operation: "introspect",
    name: "without a token: 401",
    as: "anonymous",
    request: () => ({ method: "GET", path: "/api/v1/introspect" }),
    status: 401,
  }),
  tourCase({
    operation: "introspect",
    name: "a signed-in user's session is not an introspection token",
    as: "admin",
    request: () => ({ method: "GET", path: "/api/v1/introspect", headers: { authorization: "Bearer fdi_not-a-token" } }),
    status: 401,
    check: (res) => assert.equal((res.body as { type: string }).type, "/api/docs#problem-unauthorized"),
  }),
];
