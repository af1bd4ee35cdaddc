import type { ActionName } from "../../inventory";
import { cmdRun } from "./cmd-run";
import { fileManaged } from "./file-managed";
import { scriptRun } from "./script-run";
import type { Action } from "./types";

export const ACTIONS: Record<ActionName, Action> = {
  "cmd.run": cmdRun,
  "script.run": scriptRun,
  "file.managed": fileManaged,
};

export type { Action, ActionContext, ActionResult } from "./types";
