export { AgentExpressInstrumentation, EXPRESS_INSTRUMENTATION_NAME } from './instrumentation';
export type { AgentExpressInstrumentationConfig } from './instrumentation';
