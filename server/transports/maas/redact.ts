/**
 * Keeps the API key's secret out of anything the client reports. MAAS bodies quote request details back (a
 * python-oauth signature error even states the expected signature, which under PLAINTEXT is the secret), and
 * proxies may echo headers; every server text goes through here before it reaches an error.
 */
import { oauthPercentEncode, type MaasCredentials } from "./credentials";

const MAX_MESSAGE_CHARS = 500;
const MASK = "[redacted]";

export type Redactor = (text: string) => string;

export function makeRedactor(credentials: MaasCredentials): Redactor {
  const { consumerKey, tokenKey, tokenSecret } = credentials;
  // Longest first, so the whole key goes before its secret part.
  const encoded = oauthPercentEncode(tokenSecret);
  const needles = [`${consumerKey}:${tokenKey}:${tokenSecret}`, oauthPercentEncode(encoded), encoded, tokenSecret]
    .filter((s, i, all) => s.length > 0 && all.indexOf(s) === i)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(/(signature base string:\s*)\S+/gi, `$1${MASK}`).replace(/(oauth_signature=)"?[^",\s]*"?/gi, `$1${MASK}`);
    for (const needle of needles) out = out.split(needle).join(MASK);
    return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}… (${out.length - MAX_MESSAGE_CHARS} more characters)` : out;
  };
}
