/**
 * sops value encryption (spec A5): `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`, AES-256-GCM with a
 * 32-byte IV and the 16-byte tag stored apart from the ciphertext, standard padded base64, and the value's
 * path as additional data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 32;
const TAG_BYTES = 16;

/** sops' parse regex (not anchored at the end, like Go's). */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** Whether a string has the shape of an encrypted sops value. */
export function looksEncrypted(text: string): boolean {
  return ENC_RE.test(text);
}

/** Parse an `ENC[...]` string; a string that is not one, or has bad base64, gives a reason instead. */
export function parseEncrypted(text: string): EncryptedValue | string {
  const m = ENC_RE.exec(text);
  if (!m) return "is not an ENC[AES256_GCM,...] value";
  const parts: Buffer[] = [];
  for (const [i, name] of ["data", "iv", "tag"].entries()) {
    const b64 = m[i + 1]!;
    if (!BASE64.test(b64)) return `has invalid base64 in its ${name}`;
    parts.push(Buffer.from(b64, "base64"));
  }
  const [data, iv, tag] = parts as [Buffer, Buffer, Buffer];
  if (iv.length === 0) return "has an empty iv";
  if (tag.length !== TAG_BYTES) return `has a ${tag.length}-byte tag (AES-GCM tags are ${TAG_BYTES} bytes)`;
  return { data, iv, tag, type: m[4]! };
}

/** Encrypt `plaintext` (already in sops' byte form for its type) with the data key and additional data. */
export function encryptValue(key: Buffer, plaintext: Buffer, aad: string, type: string, iv: Buffer = randomBytes(IV_BYTES)): string {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

/** Decrypt a parsed value; null when authentication fails (wrong key, wrong path, or tampering). */
export function decryptValue(key: Buffer, value: EncryptedValue, aad: string): Buffer | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, value.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(value.tag);
    return Buffer.concat([decipher.update(value.data), decipher.final()]);
  } catch {
    return null;
  }
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}
