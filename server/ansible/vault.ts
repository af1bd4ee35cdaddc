/**
 * Ansible Vault, format 1.1 and 1.2 (1.2 adds a vault-id label), cipher AES256, byte for byte as
 * ansible/parsing/vault/__init__.py writes and reads it:
 *
 *   key material = PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80 bytes)
 *                = AES-256 key (32) | HMAC-SHA256 key (32) | CTR initial counter (16)
 *   ciphertext   = AES-256-CTR(PKCS#7-padded plaintext), authenticated by HMAC-SHA256 over the ciphertext
 *   body         = hex(hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)), in lines of 80 characters
 *   envelope     = "$ANSIBLE_VAULT;1.1;AES256" (or ";1.2;AES256;LABEL") "\n" body lines "\n"
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { FlightdeckError } from "../errors";

const HEADER = "$ANSIBLE_VAULT";
const CIPHER = "AES256";
const ITERATIONS = 10000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const LINE = 80;

/** Why a vault could not be read: its text is not a vault (`format`), no password opens it (`password`), or its cipher is unknown. */
export type VaultErrorKind = "format" | "password" | "cipher" | "no-password";

/** A vault that cannot be decrypted or encrypted. The message never holds a password or plaintext. */
export class VaultError extends FlightdeckError {
  override name = "VaultError";
  constructor(
    readonly kind: VaultErrorKind,
    message: string,
  ) {
    super("INVALID_INPUT", message);
  }
}

/** A vault password, with the vault-id label it was given for (`default` when none). */
export interface VaultSecret {
  id?: string;
  password: string | Buffer;
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  /** The 1.2 label; undefined in 1.1. Not authenticated: Ansible treats it as a hint only. */
  vaultId?: string;
  /** The hexlified payload, the lines joined. */
  body: string;
}

/** Whether the text (or bytes) is vault data: ASCII throughout and starting with `$ANSIBLE_VAULT`, as is_encrypted() decides. */
export function isVaultText(data: string | Uint8Array): boolean {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  for (const byte of buf) if (byte > 0x7f) return false;
  return buf.subarray(0, HEADER.length).toString("latin1") === HEADER;
}

export function parseVaultEnvelope(text: string): VaultEnvelope {
  // Python's splitlines() on bytes: \n, \r\n and \r end a line.
  const lines = text.split(/\r\n|\r|\n/);
  const header = (lines[0] ?? "").trim().split(";");
  if (header.length < 3 || header[0] !== HEADER) throw new VaultError("format", "not an Ansible Vault envelope (the first line must be $ANSIBLE_VAULT;VERSION;CIPHER)");
  return {
    version: header[1]!.trim(),
    cipher: header[2]!.trim(),
    vaultId: header.length >= 4 ? header[3]!.trim() : undefined,
    body: lines.slice(1).join(""),
  };
}

function unhex(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new VaultError("format", `vault ${what} is not hexadecimal`);
  return Buffer.from(hex, "hex");
}

function deriveKeys(password: Buffer, salt: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, "sha256");
  return { aesKey: derived.subarray(0, KEY_LENGTH), hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH), iv: derived.subarray(2 * KEY_LENGTH) };
}

function passwordBytes(password: string | Buffer): Buffer {
  const bytes = typeof password === "string" ? Buffer.from(password, "utf8") : password;
  if (!bytes.length) throw new VaultError("no-password", "the vault password is empty");
  return bytes;
}

/** The payload of one AES256 vault with one password; null when the HMAC does not match (a wrong password). */
function decryptWith(body: string, password: Buffer): Buffer | null {
  const parts = unhex(body, "data").toString("latin1").split("\n");
  if (parts.length < 3) throw new VaultError("format", "vault data does not hold a salt, an HMAC and a ciphertext");
  const salt = unhex(parts[0]!, "salt");
  const mac = unhex(parts[1]!, "HMAC");
  const ciphertext = unhex(parts.slice(2).join("\n"), "ciphertext");
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const expected = createHmac("sha256", hmacKey).update(ciphertext).digest();
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
  const decipher = createDecipheriv("aes-256-ctr", aesKey, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1];
  if (pad === undefined || pad < 1 || pad > 16 || pad > padded.length || !padded.subarray(padded.length - pad).every((b) => b === pad)) {
    throw new VaultError("format", "vault plaintext has invalid padding");
  }
  return padded.subarray(0, padded.length - pad);
}

export interface Decrypted {
  plaintext: Buffer;
  /** The label of the secret that opened it. */
  vaultId: string;
}

/**
 * Decrypt vault text with the first of `secrets` that opens it (Ansible tries every secret in the order given,
 * whatever label the envelope carries). Throws a VaultError: `password` when none opens it.
 */
export function vaultDecrypt(text: string, secrets: readonly VaultSecret[]): Decrypted {
  if (!isVaultText(text)) throw new VaultError("format", "not vault data (it must be ASCII and start with $ANSIBLE_VAULT)");
  const envelope = parseVaultEnvelope(text);
  if (envelope.cipher !== CIPHER) throw new VaultError("cipher", `vault cipher '${envelope.cipher}' is not supported (only ${CIPHER})`);
  if (!secrets.length) throw new VaultError("no-password", "vault-encrypted, and no vault password was given");
  for (const secret of secrets) {
    const plaintext = decryptWith(envelope.body, passwordBytes(secret.password));
    if (plaintext) return { plaintext, vaultId: secret.id ?? "default" };
  }
  const label = envelope.vaultId ? ` (vault id '${envelope.vaultId}')` : "";
  throw new VaultError("password", `the vault password${secrets.length > 1 ? "s do" : " does"} not decrypt this value${label}`);
}

export interface EncryptOptions {
  /** A vault-id label: writes format 1.2 with it (as Ansible does for any label but `default`). */
  vaultId?: string;
  /** The PBKDF2 salt; 32 random bytes when absent. Give one for deterministic output. */
  salt?: string | Buffer;
}

/** Encrypt to a vault envelope, ending with a newline, exactly as `ansible-vault encrypt` writes it. */
export function vaultEncrypt(plaintext: string | Buffer, password: string | Buffer, options: EncryptOptions = {}): string {
  const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  if (isVaultText(data)) throw new VaultError("format", "the input is already vault-encrypted");
  const salt = options.salt === undefined ? randomBytes(32) : typeof options.salt === "string" ? Buffer.from(options.salt, "utf8") : options.salt;
  if (!salt.length) throw new VaultError("format", "an empty salt was given");
  const { aesKey, hmacKey, iv } = deriveKeys(passwordBytes(password), salt);
  const pad = 16 - (data.length % 16);
  const cipher = createCipheriv("aes-256-ctr", aesKey, iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), cipher.final()]);
  const mac = createHmac("sha256", hmacKey).update(ciphertext).digest();
  const body = Buffer.from([salt.toString("hex"), mac.toString("hex"), ciphertext.toString("hex")].join("\n"), "latin1").toString("hex");
  const label = options.vaultId && options.vaultId !== "default" ? options.vaultId : undefined;
  const header = label ? `${HEADER};1.2;${CIPHER};${label}` : `${HEADER};1.1;${CIPHER}`;
  const lines = [header];
  for (let i = 0; i < body.length; i += LINE) lines.push(body.slice(i, i + LINE));
  return `${lines.join("\n")}\n`;
}

/** A `!vault |` YAML scalar for a value, its envelope lines indented by `indent` spaces (as `ansible-vault encrypt_string` prints). */
export function vaultYamlScalar(envelope: string, indent = 2): string {
  const pad = " ".repeat(indent);
  return `!vault |\n${envelope.trimEnd().split("\n").map((l) => pad + l).join("\n")}`;
}

/**
 * A password as Ansible reads a vault password file: the bytes with surrounding whitespace stripped, then any
 * trailing CR/LF. Empty is refused.
 */
export function passwordFromFile(content: Buffer, file: string): Buffer {
  let start = 0;
  let end = content.length;
  const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
  while (start < end && space(content[start]!)) start++;
  while (end > start && space(content[end - 1]!)) end--;
  const password = content.subarray(start, end);
  if (!password.length) throw new VaultError("no-password", `${file}: the vault password file is empty`);
  return Buffer.from(password);
}
