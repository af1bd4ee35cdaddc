/**
 * The e-mail channel: one plain-text mail per delivery through the server's SMTP relay (FLIGHTDECK_SMTP_URL,
 * e.g. smtp://mail.example.net:587 or smtps://user:password@host:465; STARTTLS is used when offered), from
 * FLIGHTDECK_SMTP_FROM. One transport per process, reused.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { DeliveryFailure } from "./failure";
import { errorText } from "./text";
import type { Delivery, NotificationPayload } from "./types";

export interface SmtpSettings {
  url: string;
  from: string;
  timeoutMs: number;
}

/** A deliberately plain address check: one @, no spaces or angle brackets (the relay says the rest). */
export function emailAddressProblem(address: string): string | undefined {
  return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(address) ? undefined : "is not an e-mail address (name@example.net)";
}

export class EmailSender {
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;
  private readonly password: string;

  constructor(private readonly smtp: SmtpSettings) {
    const { timeoutMs } = smtp;
    const timeouts: SMTPTransport.Options = { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
    this.transport = nodemailer.createTransport(smtp.url, timeouts);
    this.password = safePassword(smtp.url);
  }

  async send(delivery: Delivery): Promise<void> {
    const { subject, text } = mailOf(delivery.payload);
    try {
      await this.transport.sendMail({ from: this.smtp.from, to: delivery.target, subject, text, headers: { "X-Flightdeck-Event": delivery.kind, "X-Flightdeck-Delivery": String(delivery.id) } });
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      // A 5xx reply (no such mailbox, relaying refused) will say the same next time.
      throw new DeliveryFailure(`the SMTP relay refused it: ${errorText(e, [this.password])}`, { permanent: code !== undefined && code >= 500 });
    }
  }

  close(): void {
    this.transport.close();
  }
}

export function mailOf(payload: NotificationPayload): { subject: string; text: string } {
  const subject = `[Flightdeck ${payload.site}] ${payload.summary}`.replace(/\s+/g, " ");
  const lines = [payload.summary, "", `Open it: ${payload.link}`];
  if (payload.linkWarning) lines.push(`(${payload.linkWarning})`);
  if (payload.run) {
    const r = payload.run;
    lines.push("", `Run ${r.id}: ${r.deployment}, ${r.status.replace(/_/g, " ")}`, `Requested by ${r.requestedBy}${r.reason ? `: ${r.reason}` : ""}`);
    if (r.message) lines.push(r.message);
  }
  if (payload.reaction) lines.push("", `Reaction ${payload.reaction.name}${payload.reaction.event ? `, on event #${payload.reaction.event.id} (${payload.reaction.event.name})` : ""}`);
  lines.push("", `${payload.at}: ${payload.kind.replace(/_/g, " ")} on site ${payload.site}.`, "You get this mail because the site's notification settings send it to this address.");
  return { subject: subject.length > 200 ? `${subject.slice(0, 197)}...` : subject, text: `${lines.join("\n")}\n` };
}

function safePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}
