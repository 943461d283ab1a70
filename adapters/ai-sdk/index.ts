/** insula for the Vercel AI SDK: language-model middleware (v3 shape, ai 6 and later). */
export { insulaAiSdkMiddleware, InsulaAiSdkOptionsSchema, type InsulaAiSdkOptions } from './middleware.js';
