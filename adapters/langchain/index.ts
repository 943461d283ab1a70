/** insula for LangChain v1 agents: recall/record middleware with optional memory tools. */
export { insulaMiddleware, InsulaMiddlewareOptionsSchema, type InsulaMiddlewareOptions } from './middleware.js';
export type { RunScope } from '../turn.js';
