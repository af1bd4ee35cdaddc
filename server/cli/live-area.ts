/**
 * A block of lines redrawn in place at the bottom of a terminal (log-update), that survives the terminal
 * being resized.
 *
 * log-update erases the previous frame by the number of lines it wrote. After a resize that is wrong: a
 * terminal that reflows (tmux, VTE, kitty, iTerm2, Windows Terminal) re-wraps each drawn line to the new width,
 * so a line of w columns now takes ceil(w / columns) rows. On `resize` (SIGWINCH) the area therefore erases
 * the rows its last frame occupies at the new width, forgets it, and redraws.
 */
import { createLogUpdate } from "log-update";
import stringWidth from "string-width";

export interface LiveArea {
  /** Draws `lines` (each narrower than the terminal) in place of the previous frame. */
  render(lines: string[]): void;
  /** Writes `text` above the area, where it stays. */
  persist(text: string): void;
  /** Leaves the last frame on screen and stops following resizes. */
  done(): void;
}

/** `\x1b[2K` erases the line the cursor is on, `\x1b[1A` moves up one row: erases `rows` rows above the cursor and its own. */
export function eraseRows(rows: number): string {
  return `\x1b[2K${"\x1b[1A\x1b[2K".repeat(rows)}\r`;
}

/** How many rows lines of these visible widths take on a terminal `columns` wide that re-wraps them. */
export function rowsAt(widths: readonly number[], columns: number): number {
  return widths.reduce((n, w) => n + Math.max(1, Math.ceil(w / Math.max(1, columns))), 0);
}

export function liveArea(stream: NodeJS.WriteStream, onResize: () => void): LiveArea {
  const log = createLogUpdate(stream);
  let widths: number[] = [];
  const resized = () => {
    if (widths.length) {
      // The cursor sits on the row below the frame.
      stream.write(eraseRows(rowsAt(widths, stream.columns || 80)));
      log.done();
      widths = [];
    }
    onResize();
  };
  stream.on("resize", resized);
  return {
    render(lines) {
      log(lines.join("\n"));
      widths = lines.map((l) => stringWidth(l));
    },
    persist(text) {
      log.persist(text);
      widths = [];
    },
    done() {
      stream.off("resize", resized);
      log.done();
      widths = [];
    },
  };
}
