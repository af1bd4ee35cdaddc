/** Masking catches a secret's base64 and hex forms too, wherever they sit in longer encoded text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent, OutputChunk } from "../../server/engine";
import { encodedForms, MASK, MaskingSink, MIN_ENCODED_LENGTH } from "../../server/engine/masking";

const SECRET = "s3cr3t-Pa55word/+?~é";

function sink() {
  const chunks: OutputChunk[] = [];
  const events: EngineEvent[] = [];
  const s = new MaskingSink({ event: (e) => void events.push(e), output: (c) => void chunks.push(c) });
  s.add(SECRET, "'secret:db.password'");
  const out = (data: string | string[]) => {
    chunks.length = 0;
    for (const d of [data].flat()) s.output({ host: "h", step: "s", stream: "stdout", data: d });
    s.flushStep("h", "s");
    return chunks.map((c) => c.data).join("");
  };
  return { out, events };
}

test("base64 of any text holding the secret, at every offset, in both alphabets, is masked", () => {
  const { out } = sink();
  for (const prefix of ["", "a", "ab", "abc", "env: PASSWORD="]) {
    for (const suffix of ["", "x", "xy", "\nmore"]) {
      const text = Buffer.from(`${prefix}${SECRET}${suffix}`);
      for (const encoded of [text.toString("base64"), text.toString("base64url")]) {
        const shown = out(`line ${encoded} end`);
        assert.ok(shown.includes(MASK), `prefix ${JSON.stringify(prefix)}, suffix ${JSON.stringify(suffix)}: ${shown}`);
        // What is left cannot be decoded back to the secret.
        assert.ok(!Buffer.from(shown.replaceAll(MASK, ""), "base64").toString("latin1").includes("Pa55word"));
      }
    }
  }
});

test("hex, lower and upper case, is masked; a form split across chunks is held back until it can be judged", () => {
  const { out } = sink();
  const hex = Buffer.from(`x${SECRET}`).toString("hex");
  assert.equal(out(`sum ${hex}`), `sum 78${MASK}`);
  assert.equal(out(`SUM ${hex.toUpperCase()}`), `SUM 78${MASK}`);
  const b64 = Buffer.from(SECRET).toString("base64");
  assert.equal(out([b64.slice(0, 7), b64.slice(7)]).includes(MASK), true);
});

test("forms too short to be told from chance are not masked, and ordinary output passes untouched", () => {
  for (const form of encodedForms("abc")) assert.ok(form.length >= MIN_ENCODED_LENGTH);
  const { out } = sink();
  assert.equal(out("Zm9vYmFy deadbeef 0123456789abcdef"), "Zm9vYmFy deadbeef 0123456789abcdef");
});
