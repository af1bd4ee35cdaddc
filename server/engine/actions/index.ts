import { ansiblePlaybook } from "../../ansible/playbook/action";
import type { ActionName } from "../../inventory";
import type { BatchAction } from "../batch";
import { cmdRun } from "./cmd-run";
import type { ControllerAction } from "./controller";
import { fileFetch } from "./file-fetch";
import { fileManaged } from "./file-managed";
import { maasCommission, maasDeploy, maasPower, maasRelease } from "./maas";
import { scriptRun } from "./script-run";
import type { Action } from "./types";
import { waitSsh } from "./wait-ssh";

/** Actions on the host, through its connection. */
export const HOST_ACTIONS: Partial<Record<ActionName, Action>> = {
  "cmd.run": cmdRun,
  "script.run": scriptRun,
  "file.managed": fileManaged,
  "file.fetch": fileFetch,
};

/** Actions where Flightdeck runs, about the host: no connection to it is opened for them. */
export const CONTROLLER_ACTION_IMPLS: Partial<Record<ActionName, ControllerAction>> = {
  "maas.deploy": maasDeploy,
  "maas.release": maasRelease,
  "maas.commission": maasCommission,
  "maas.power": maasPower,
  "wait.ssh": waitSsh,
};

/** Actions that run once per batch where Flightdeck runs, for the batch's hosts together (see ../batch). */
export const BATCH_ACTION_IMPLS: Partial<Record<ActionName, BatchAction>> = {
  "ansible.playbook": ansiblePlaybook,
};

export type { Action, ActionContext, ActionResult, Artifact } from "./types";
export type { ControllerAction, ControllerContext } from "./controller";
