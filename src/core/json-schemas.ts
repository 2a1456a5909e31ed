/**
 * The JSON Schemas of the document formats, generated from their zod schemas. Written to
 * `schema/*.schema.json` by `scripts/generate-schemas.js`; a test fails when those files are stale.
 */
import { z } from 'zod';
import { CellMetadataSchema, WorkflowDocumentSchema } from './format';

/** File name (under `schema/`) → JSON Schema. */
export function documentJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'workflow.schema.json': z.toJSONSchema(WorkflowDocumentSchema, { io: 'input' }),
    'cell-metadata.schema.json': z.toJSONSchema(CellMetadataSchema, { io: 'input' }),
  };
}
