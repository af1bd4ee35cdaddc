/** Why a site cannot be written as an Ansible inventory: the message names the host, variable or group and, where it can, the file and line. */
import { InvalidInputError } from "../../errors";

export class ExportError extends InvalidInputError {
  override name = "AnsibleExportError";
}
