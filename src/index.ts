/**
 * The package root: what a notebook or a script imports.
 *
 * @example
 * import { step, table, Workflow, Orchestrator } from 'fancyflow';
 */
export * from './core';
