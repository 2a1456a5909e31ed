import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentJsonSchemas } from '../src/core/json-schemas';

describe('schema/*.schema.json', () => {
  for (const [name, schema] of Object.entries(documentJsonSchemas())) {
    it(`${name} is generated from the zod schemas (run: npm run build && node scripts/generate-schemas.js)`, () => {
      const file = path.resolve(__dirname, '../schema', name);
      const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      expect(onDisk).toEqual(schema);
    });
  }
});
