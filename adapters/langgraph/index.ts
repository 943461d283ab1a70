/** insula for LangGraph: a persistent BaseStore ranked by insula's recall, and recall/record nodes. */
export { InsulaStore, InsulaStoreOptionsSchema, textsAt, type InsulaStoreOptions } from './store.js';
export { createRecallNode, createRecordNode, InsulaAnnotation } from './nodes.js';
export { TurnOptionsSchema, type RunScope, type TurnOptions } from '../turn.js';
// AiNeuron family (issue #6): neurons as LangGraph nodes, fascicles as subgraphs, a declarative spec.
export {
  NeuronEventSchema,
  ObservableEventSchema,
  type AiNeuron,
  type CallTools,
  type FascicleInput,
  type FascicleOutput,
  type NeuronEvent,
  type ObservableEvent,
} from './neurons/events.js';
export { FascicleState, renderEvents, replaceEvents, type FascicleStateValue, type NeuronNode, type NeuronUpdate } from './neurons/state.js';
export { emitObservable, withinFascicle, type StageReport } from './neurons/observe.js';
export { NeuronInsulaSchema, type NeuronInsula } from './neurons/insula-link.js';
export {
  ChatModelSchema,
  ChatNeuronOptionsSchema,
  createChatNeuron,
  createNeuronNode,
  NeuronError,
  NeuronNameSchema,
  NeuronNodeOptionsSchema,
  NeuronOptionsSchema,
  toolCaller,
  ToolSchema,
  type ChatNeuronOptions,
  type NeuronNodeOptions,
} from './neurons/neuron.js';
export { createStructuredOutputNeuron, StructuredOutputOptionsSchema, type StructuredOutputOptions } from './neurons/structured-output.js';
export { createToolAugmentedNeuron, OUTPUT_TOOL, ToolAugmentedOptionsSchema, type ToolAugmentedOptions } from './neurons/tool-augmented.js';
export { createCompletionNeuron, CompletionOptionsSchema, cutAtStop, type CompletionOptions } from './neurons/completion.js';
export { createRouterNeuron, RouterOptionsSchema, type Route, type RouteFunction, type RouterNode, type RouterOptions } from './neurons/router.js';
export { createTransformerNeuron, TransformerOptionsSchema, type TransformFunction, type TransformerOptions } from './neurons/transformer.js';
export { createInhibitoryTransformer, InhibitoryTransformerOptionsSchema, MetricNameSchema, throttleEvents, type InhibitoryTransformerOptions } from './neurons/inhibitory-transformer.js';
export { fascicle, FascicleBuilder, FascicleError, FascicleInputSchema, type Fascicle, type FascicleChunk, type Stage } from './fascicle.js';
export { FascicleSpecSchema, instantiateFascicle, InstantiateOptionsSchema, NeuronSpecSchema, type FascicleSpec, type InstantiateOptions, type NeuronSpec } from './spec.js';
// AiLifeform (issue #6): heartbeat, metabolism (token budget, hunger, eco/default/hyper), life tools.
export {
  Lifeform,
  LifeformOptionsSchema,
  FascicleOptionsSchema,
  LIFEFORM_DOMAIN,
  METABOLISM_DOMAIN,
  type BeatReport,
  type CompiledFascicle,
  type FascicleFactory,
  type FascicleOptions,
  type FascicleSource,
  type FascicleVariant,
  type JournalEntry,
  type LifeformOptions,
  type ServeInput,
  type ServeResult,
} from './lifeform/lifeform.js';
export {
  automaticPolicy,
  beatIndex,
  effectivePolicy,
  hunger,
  initialMetabolism,
  LedgerEntrySchema,
  MetabolismParamsSchema,
  MetabolismStateSchema,
  OverrideSchema,
  PolicySchema,
  TopUpSchema,
  type LedgerEntry,
  type MetabolismParams,
  type MetabolismState,
  type Override,
  type Policy,
  type TopUp,
} from './lifeform/metabolism.js';
export { readUsage, UsageMeter, type ModelUsage, type UsageReport } from './lifeform/usage.js';
export {
  chooseTier,
  successBound,
  TierChoiceParamsSchema,
  tierStrategy,
  tokenPrice,
  type TierChoice,
  type TierChoiceConfig,
  type TierChoiceInput,
  type TierChoiceParams,
  type TierEvidence,
} from './lifeform/tier-choice.js';
export {
  ageFascicle,
  apoptosisCandidates,
  ApoptosisParamsSchema,
  CompositeParamsSchema,
  compositeTool,
  FascicleStatsSchema,
  offerCompositeTools,
  recurringSequences,
  ToolTrace,
  type ApoptosisParams,
  type CompositeParams,
  type FascicleStats,
  type RecurringSequence,
} from './lifeform/life-tools.js';
