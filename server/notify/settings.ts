/**
 * A site's notification rules as the settings page and REST edit them: the schemas (the types flow from them),
 * the checks (each problem located: `rules[2].target: ...`), and how an edit becomes the stored rules. Signing
 * secrets are write-only: a new webhook gets a generated one, shown once in the answer; an edit that leaves
 * `secret` out keeps the current one; `newSecret` replaces it.
 */
import { z } from "zod";
import { InvalidInputError } from "../errors";
import { emailAddressProblem } from "./email";
import { newSigningSecret } from "./secret";
import { notificationChannel, notificationKind, type StoredRule } from "./types";
import { webhookUrlProblem } from "./webhook";

export const MAX_RULES = 50;

export const ruleInput = z
  .object({
    kinds: z.array(notificationKind).min(1, "choose at least one kind").max(5).describe("What this target is told of"),
    channel: notificationChannel,
    target: z.string().trim().min(1).max(2000).describe("webhook: the http(s) URL to POST to; email: the address to mail"),
    secret: z
      .string()
      .min(16, "a signing secret has at least 16 characters")
      .max(200)
      .optional()
      .describe("webhook: the signing secret to use (at least 16 characters); omitted: the current one is kept, or a new webhook gets a generated one, returned once"),
    newSecret: z.boolean().optional().describe("webhook: replace the signing secret with a generated one, returned once"),
  })
  .strict()
  .describe("Who gets which notifications: one target on one channel");
export type RuleInput = z.output<typeof ruleInput>;

export const rulesInput = z.array(ruleInput).max(MAX_RULES).describe(`The site's rules, replacing the current ones (at most ${MAX_RULES})`);

export const publicRule = z
  .object({
    kinds: z.array(notificationKind).describe("What this target is told of"),
    channel: notificationChannel,
    target: z.string().describe("The URL or the address"),
    hasSecret: z.boolean().describe("webhook: whether it has a signing secret (its value is never shown again)"),
  })
  .describe("A rule of the site (without its secret)");
export type PublicRule = z.output<typeof publicRule>;

export function publicRules(rules: readonly StoredRule[]): PublicRule[] {
  return rules.map((r) => ({ kinds: r.kinds, channel: r.channel, target: r.target, hasSecret: !!r.secret }));
}

/** Every problem of an edit, located; throws one InvalidInputError naming them all. */
export function checkRules(rules: readonly RuleInput[]): void {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    const problem = r.channel === "webhook" ? webhookUrlProblem(r.target) : emailAddressProblem(r.target);
    if (problem) problems.push(`${at}.target: '${r.target.slice(0, 100)}' ${problem}`);
    if (r.channel === "email" && (r.secret !== undefined || r.newSecret)) problems.push(`${at}.secret: only webhooks are signed; an e-mail rule has no secret`);
    if (r.secret !== undefined && r.newSecret) problems.push(`${at}: give a secret or ask for a new one, not both`);
    const key = `${r.channel} ${r.target}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${at}.target: ${r.target.slice(0, 100)} is already rules[${first}]: give it all its kinds there`);
    else seen.set(key, i);
  });
  if (problems.length) throw new InvalidInputError(problems.join("; "));
}

/**
 * The stored rules an edit makes, and the secrets to show once. `seal` encrypts a secret for storage (the
 * server's key); a kept secret stays sealed as it was.
 */
export async function applyRules(
  current: readonly StoredRule[],
  edit: readonly RuleInput[],
  seal: (secret: string) => Promise<string>,
): Promise<{ rules: StoredRule[]; revealed: { target: string; secret: string }[] }> {
  checkRules(edit);
  const revealed: { target: string; secret: string }[] = [];
  const rules: StoredRule[] = [];
  for (const r of edit) {
    const kinds = [...new Set(r.kinds)];
    if (r.channel === "email") {
      rules.push({ kinds, channel: "email", target: r.target });
      continue;
    }
    const kept = current.find((c) => c.channel === "webhook" && c.target === r.target)?.secret;
    let secret = r.secret;
    if (secret === undefined && (r.newSecret || !kept)) {
      secret = newSigningSecret();
      revealed.push({ target: r.target, secret });
    }
    rules.push({ kinds, channel: "webhook", target: r.target, secret: secret === undefined ? kept : await seal(secret) });
  }
  return { rules, revealed };
}
