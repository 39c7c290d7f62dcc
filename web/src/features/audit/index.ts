/** The audit log: its page, and the entry table the run page's tab shows. */
export { AuditLog } from "./AuditLog";
export { AuditPage } from "./AuditPage";
