/** Host hooks: call `beforeInbound` before each model turn and `beforeOutbound` after it. */
export {
  BeforeInboundSchema,
  BeforeOutboundSchema,
  createHooks,
  HookOptionsSchema,
  InsulaHooks,
  SessionTurnSchema,
  type SessionTurn,
  type BeforeInboundInput,
  type BeforeOutboundInput,
  type HookHealth,
  type HookOptions,
  type InboundContext,
  type InboundGeneration,
  type InboundMemory,
  type InboundState,
  type OutboundReceipt,
} from './hooks.js';
export { CircuitBreaker, CircuitBreakerParamsSchema, type BreakerState, type CircuitBreakerParams } from './circuit-breaker.js';
export { appraiseTurn, detectAffect, detectDomain, detectVerdict, toolOutcome, type TurnAppraisal } from './turn-appraisal.js';
export { renderBlock } from './render.js';
