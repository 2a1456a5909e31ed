/**
 * The package root: what a notebook or a script imports.
 *
 * @example
 * import { step, table, Workflow, Orchestrator } from 'fancyflow';
 */
export * from './core';
import './tables/register';
export { aqTable, arrowTable } from './tables/typed-contracts';
export {
  DiskDatumStore,
  type DatumCheck,
  type DiskDatumStoreOptions,
  type StoreProblem,
} from './stores/disk-datum-store';
export { S3DatumStore, type S3DatumStoreOptions } from './stores/s3-datum-store';
export { steps, registerStandardSteps, type VegaLiteSpec, type WriteSummary } from './steps';
export { cell, cells, type CellsAccessor } from './kernel/notebook-cells';
export { display, clearOutput, type DisplayOptions } from './kernel/display-api';
