/**
 * Template errors. Positions are 1-based lines and columns inside the template's own text (columns count UTF-16
 * code units, as editors do), so a caller that knows where the template sits in a file can map them there.
 */

/** A render-time failure: something undefined, a value of the wrong type, a limit reached. */
export class TemplateError extends Error {
  override name = "TemplateError";
  /** The message without its location. */
  readonly reason: string;
  readonly line: number;
  readonly col: number;
  /** Where the template sits inside a rendered value (`params.cmd`), when rendered by `renderValue`. */
  readonly path: string | undefined;

  constructor(reason: string, line: number, col: number, path?: string) {
    super(`${path ? `${path}:` : ""}${line}:${col}: ${reason}`);
    this.reason = reason;
    this.line = line;
    this.col = col;
    this.path = path || undefined;
  }

  /** The same error, placed inside a value (`params.cmd:1:4: ...`). */
  atPath(path: string): TemplateError {
    return new TemplateError(this.reason, this.line, this.col, path);
  }
}

/** A template that cannot be compiled: bad syntax, an unknown filter, test or statement, an unclosed tag. */
export class TemplateSyntaxError extends TemplateError {
  override name = "TemplateSyntaxError";

  override atPath(path: string): TemplateSyntaxError {
    return new TemplateSyntaxError(this.reason, this.line, this.col, path);
  }
}

/**
 * An unpositioned failure raised by value helpers, filters and tests; the evaluator catches it and turns it into a
 * TemplateError at the expression being evaluated. Never leaves this module.
 */
export class Problem extends Error {
  override name = "Problem";
}

/** A macro that failed (thrown by RenderOptions.macro): reported at the call, as `macro 'name': message`. */
export class MacroCallError extends Error {
  override name = "MacroCallError";
}

/** Offsets to 1-based line and column. */
export class Locator {
  private readonly lineStarts: number[] = [0];

  constructor(readonly source: string) {
    for (let i = source.indexOf("\n"); i !== -1; i = source.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
  }

  at(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  /** "3:7", as used inside messages ("opened at 3:7"). */
  where(offset: number): string {
    const { line, col } = this.at(offset);
    return `${line}:${col}`;
  }

  syntaxError(reason: string, offset: number): TemplateSyntaxError {
    const { line, col } = this.at(offset);
    return new TemplateSyntaxError(reason, line, col);
  }

  error(reason: string, offset: number): TemplateError {
    const { line, col } = this.at(offset);
    return new TemplateError(reason, line, col);
  }
}
