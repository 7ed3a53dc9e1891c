/** The attribute that marks spans exported because of their request's outcome, not head sampling. */
export const ATTR_KEPT_BY = 'otel_agent.kept_by';
export type KeptBy = 'error' | 'slow';
