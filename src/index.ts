/** insula: cognitive memory and an interoceptive hub for AI agents. */
export { Insula, InsulaOptionsSchema, defaultStorePath, type InsulaOptions, type RememberResult } from './insula.js';
export { EmbedderChoiceSchema, createEmbedder, type EmbedderChoice } from './embedders.js';
export type { Embedder } from '../native/embedder.js';
export { createUseLiteEmbedder, UseLiteEmbedderOptionsSchema } from '../native/use/embedder.js';
export { createGloveEmbedder, GloveEmbedderOptionsSchema } from '../native/glove/embedder.js';
export { createOnnxDirectoryEmbedder, OnnxDirectoryEmbedderOptionsSchema } from '../native/onnx-directory/embedder.js';
export { hubEnergy, learnIntuition, loadIntuition, saveIntuition, senseIntuition, SnnIntuition, SnnIntuitionOptionsSchema, SNN_SIGNAL_SOURCE, type LearnOptions as IntuitionLearnOptions, type SenseOptions, type SnnIntuitionOptions } from '../native/snn/intuition.js';
export { KuzuGraphStore, KuzuStoreOptionsSchema, StoreFailedError, StoreFullError, StoreLockedError, type KuzuStoreOptions, type StoreHolder } from './memory/kuzu-store.js';
export type * from './memory/store.js';
export {
  MemoryInputSchema,
  RecallOptionsSchema,
  NamespaceSchema,
  InsulaValidationError,
  MEMORY_TYPES,
  type MemoryInput,
  type RecallOptions,
} from './memory/schema.js';
export type { RecallResult, CandidateSource } from './memory/recall.js';
export { ScoringParamsSchema, type ScoreExplanation, type ScoringParams } from './memory/scoring.js';
export { ConsolidationOptionsSchema, type ConsolidationOptions, type ConsolidationProgress, type ConsolidationReport } from './memory/consolidation.js';
export { TripleInputSchema, type TripleInput, type GraphHealth, type ChatModelLike } from './memory/knowledge-graph.js';
export * as actr from './memory/models/act-r.js';
export * as ebbinghaus from './memory/models/ebbinghaus.js';
export * as hebbian from './memory/models/hebbian.js';
export * as workingMemory from './memory/models/working-memory.js';
export * as temporalContiguity from './memory/models/temporal-contiguity.js';
export * from './hooks/index.js';
export { InteroceptiveHub, HubParamsSchema, type HubParams, type HubState, type FeedbackInput, type FeedbackEffect } from './hub/hub.js';
export { RegulationActionSchema, type RegulationAction } from './hub/regulation/actions.js';
export type { GenerationParams } from './hub/regulation/neuromodulators.js';
export { InteroceptiveSignalSchema, HostMetricSchema, type InteroceptiveSignalInput, type HostMetricInput } from './hub/signals/signal.js';
export { SkillRouter, SkillRouterOptionsSchema, observeDecision, probabilityOf, reinforceGate, type SkillRouterOptions, type RouteDecision, type ChosenAdapter } from '../native/lora/router.js';
export * as skillRegistry from '../native/lora/skill-registry.js';
export { QaLogger, QaLoggerOptionsSchema, QaRecordSchema, type QaLoggerOptions, type QaRecord } from '../native/lora/qa-logger.js';
export { factorLowRank, composeDelta, WeightDeltaSchema, type LoraFactors, type WeightDelta } from '../native/lora/svd-factor.js';
export { RoutingInputSchema, type RoutingInput, type RoutingObservationResult } from './hub/hub.js';
