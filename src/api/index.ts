// src/api: manifests in, valid defaulted resources out (KServe's webhooks as pure functions).

export * from './admission.js';
export * from './conditions.js';
export { validateEvent, validateNamespace, validateSecret, validateServiceAccount } from './core.validation.js';
export * from './inference-service.defaults.js';
export * from './inference-service.validation.js';
export * from './kinds.js';
export * from './manifest.js';
export * from './runtime-selection.js';
export * from './serving-runtime.validation.js';
export * from './serving-runtimes.js';
export * from './storage-uri.js';
export * from './types.js';
export * from './validation.js';
