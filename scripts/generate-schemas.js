#!/usr/bin/env node
/** Writes schema/*.schema.json from the zod schemas (run after `npm run build`). */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { documentJsonSchemas } = require('../dist/core/json-schemas');

for (const [name, schema] of Object.entries(documentJsonSchemas())) {
  const file = path.join(__dirname, '..', 'schema', name);
  fs.writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
