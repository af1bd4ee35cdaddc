/**
 * Reactions in a process: the reactor the hub calls for every event, and the loop that fires due waits. Every
 * process with a store starts them (services.ts); the limiter's one-transaction updates keep a fire single.
 */
import { setReactor } from "../hub";
import { WaitLoop, type WaitLoopOptions } from "./loop";
import { Reactor, type ReactorDeps } from "./reactor";

export { Reactor, reactionActor, templateEvent, type ReactorDeps } from "./reactor";
export { WaitLoop } from "./loop";

export interface Reactions {
  reactor: Reactor;
  loop: WaitLoop;
  /** Stops the loop (the reactor stays registered: the next services of the process register theirs). */
  stop(): Promise<void>;
}

export function startReactions(deps: ReactorDeps, loop: Omit<WaitLoopOptions, "log"> = {}): Reactions {
  const reactor = new Reactor(deps);
  setReactor(reactor.react);
  const waits = new WaitLoop(reactor, { clock: deps.now && { now: deps.now }, log: deps.log, ...loop });
  waits.start();
  return {
    reactor,
    loop: waits,
    async stop() {
      await waits.stop();
    },
  };
}
