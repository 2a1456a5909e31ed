/**
 * fancyflow's core: the model and the engine. Imports zod and nothing else (no node:*, no DOM, no
 * table library), so it runs in Node and in the browser.
 */
export * from './errors';
export * from './table';
export * from './contracts';
export * from './hash';
export * from './cell';
export * from './store';
export * from './memory-store';
export * from './workflow-step';
export * from './step';
export * from './registry';
export * from './format';
export * from './json-limits';
export * from './json-schemas';
export * from './workflow';
export * from './orchestrator';
export * from './freshness';
export * from './cache';
