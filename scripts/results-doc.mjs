// Rewrites the generated tables of docs/results.md from docs/results/analysis.json (after `npm run build`):
//   node scripts/results-doc.mjs
// test/src/docs/results-doc.test.ts fails when the committed tables and the committed analysis differ.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { generatedResultsTables, replaceGeneratedBlock } = require('../libs/report/dist/index.js');
const doc = new URL('../docs/results.md', import.meta.url);
const analysis = JSON.parse(await readFile(new URL('../docs/results/analysis.json', import.meta.url), 'utf8'));
await writeFile(doc, replaceGeneratedBlock(await readFile(doc, 'utf8'), generatedResultsTables(analysis)));
console.log('docs/results.md: tables regenerated from docs/results/analysis.json');
