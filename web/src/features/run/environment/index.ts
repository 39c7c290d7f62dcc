/** The run page's environment tab, its header's completeness flag and the compare view's
 *  environment section. */
export { CompletenessFlag } from "./CompletenessFlag";
export { EnvironmentCompare } from "./EnvironmentCompare";
export { EnvironmentTab } from "./EnvironmentTab";
