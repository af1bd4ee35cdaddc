/** Editing the site's YAML in place: hosts, groups and variables (see ./site-edit.ts). */
export { addGroup, addHost, deleteGroup, deleteHost, deleteVar, getVar, keyPath, setVar, updateGroup, updateHost, type GroupFields, type HostFields, type Labels, type Level, type NewGroup, type NewHost, type SiteEdit } from "./site-edit";
export { YamlText } from "./splice";
