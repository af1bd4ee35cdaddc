/** The control channel of the single process (SQLite): messages go from here to here, synchronously queued. */
import { deliver, type ControlChannel, type ControlHandler, type ControlMessage } from "./types";

export class EmbeddedControl implements ControlChannel {
  private readonly handlers = new Set<ControlHandler>();

  publish(message: ControlMessage): Promise<void> {
    // Delivered on the next tick, as a message from another process would be: a publisher is never re-entered
    // by its own handlers in the middle of what it was doing.
    return new Promise((resolve) =>
      queueMicrotask(() => {
        deliver([...this.handlers], message);
        resolve();
      }),
    );
  }

  subscribe(handler: ControlHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  close(): Promise<void> {
    this.handlers.clear();
    return Promise.resolve();
  }
}
