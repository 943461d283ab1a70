/** insula for LangGraph: a persistent BaseStore ranked by insula's recall, and recall/record nodes. */
export { InsulaStore, InsulaStoreOptionsSchema, textsAt, type InsulaStoreOptions } from './store.js';
export { createRecallNode, createRecordNode, InsulaAnnotation } from './nodes.js';
export { TurnOptionsSchema, type RunScope, type TurnOptions } from '../turn.js';
