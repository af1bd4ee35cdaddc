export { formatDiagnostic, hasErrors, type Diagnostic, type Severity } from "./diagnostics";
export { readSiteDir, readSiteDirectory, SiteNotFoundError, type SiteDirectory } from "./directory";
export { siteJsonSchema } from "./json-schema";
export { loadSite, resolveAll, type Site } from "./site";
export { ENV_ALLOW_SETTING, envRefusal, fileRefusal, inside, KEY_DIRS_SETTING, serverOnlyVariable, withPolicy, type FilePolicy, type SitePolicy } from "./policy";
export { explainedValues, type ExplainedHost, type ExplainedValue, type Origin, type ResolvedHost } from "./resolve";
export { type SiteFile } from "./source";
export { PLAYBOOK_ACTION, playbookPath, playbookRefs, type PlaybookRef } from "./playbooks";
export { ANSIBLE_DIRS, ANSIBLE_ROOT_FILES, looksBinary, SITE_FILE_RULE, siteFileKind, siteText, type SiteFileKind } from "./site-files";
export { matchTarget, selectHosts } from "./targets";
export { requirements, type BlueprintDef, type DeploymentDef, type MacroDef, type Workflows } from "./workflows";
export { ACTION_NAMES, CONTROLLER_ACTIONS, durationMs, MAX_FETCH_BYTES, sizeBytes, type ActionName, type RunOptions, type StepSpec } from "./workflow-schemas";
export { conditionText } from "./template-lint";
export {
  DESIGN_RULES,
  designRuleTable,
  DesignDataError,
  hostDesign,
  hostHardwareProfile,
  hostNetworks,
  machineSelector,
  type DesignRuleId,
  type HardwareProfile,
  type HostDesign,
  type MaasRegion,
  type Network,
  type SiteDesign,
} from "./design";
export {
  hardwareProfileSpecSchema,
  hostNetworkSchema,
  maasRegionSpecSchema,
  machineSelectorSchema,
  networkSpecSchema,
  type HardwareProfileSpec,
  type HostNetwork,
  type MaasRegionSpec,
  type MachineSelector,
  type NetworkSpec,
} from "./design-schemas";
export { formatIp, parseCidr, parseIp, type IpAddress, type IpNetwork } from "./ip";
