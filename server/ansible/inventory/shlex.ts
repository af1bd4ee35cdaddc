/**
 * Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible's INI plugin uses to split a host line
 * into the host pattern and its `key=value` words: quotes group and disappear, a backslash escapes outside
 * single quotes (inside double quotes only `\"` and `\\`), and `#` starts a comment even inside a word.
 */

/** Thrown with Python's own message ("No closing quotation", "No escaped character"). */
export class ShlexError extends Error {
  override name = "ShlexError";
}

const WHITESPACE = " \t\r\n";
const QUOTES = "'\"";
const ESCAPE = "\\";
const ESCAPED_QUOTES = '"';
const COMMENTERS = "#";

export function shlexSplit(s: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  let state: string | null = " ";
  const read = () => (i < s.length ? s[i++]! : "");
  const skipLine = () => {
    while (i < s.length && s[i] !== "\n") i++;
    if (i < s.length) i++;
  };
  for (;;) {
    let token = "";
    let quoted = false;
    let escapedState = " ";
    for (;;) {
      const c = read();
      if (state === null) {
        token = "";
        break;
      } else if (state === " ") {
        if (!c) {
          state = null;
          break;
        } else if (WHITESPACE.includes(c)) {
          if (token || quoted) break;
        } else if (COMMENTERS.includes(c)) skipLine();
        else if (c === ESCAPE) {
          escapedState = "a";
          state = c;
        } else if (QUOTES.includes(c)) state = c;
        else {
          token = c;
          state = "a";
        }
      } else if (QUOTES.includes(state)) {
        quoted = true;
        if (!c) throw new ShlexError("No closing quotation");
        if (c === state) state = "a";
        else if (c === ESCAPE && ESCAPED_QUOTES.includes(state)) {
          escapedState = state;
          state = c;
        } else token += c;
      } else if (state === ESCAPE) {
        if (!c) throw new ShlexError("No escaped character");
        // Within quotes only the quote itself or the escape character may be escaped.
        if (QUOTES.includes(escapedState) && c !== state && c !== escapedState) token += state;
        token += c;
        state = escapedState;
      } else {
        // state "a": inside a word
        if (!c) {
          state = null;
          break;
        } else if (WHITESPACE.includes(c)) {
          state = " ";
          if (token || quoted) break;
        } else if (COMMENTERS.includes(c)) {
          skipLine();
          state = " ";
          if (token || quoted) break;
        } else if (QUOTES.includes(c)) state = c;
        else if (c === ESCAPE) {
          escapedState = "a";
          state = c;
        } else token += c;
      }
    }
    if (!quoted && token === "") return tokens;
    tokens.push(token);
  }
}
