import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importsOf, layerViolations } from '../../scripts/check-layers.js';

describe('the dependency rule of src/', () => {
  it('holds: no import points up or sideways', () => {
    const violations = layerViolations(fileURLToPath(new URL('../../src', import.meta.url)));
    assert.deepEqual(violations, []);
  });

  it('finds static, re-exported and dynamic imports', () => {
    const text =
      "import a from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');\nimport x from 'node:fs';";
    assert.deepEqual(importsOf(text).sort(), ['../b.js', './a.js', './c.js', './d.js']);
  });

  it('reports an import against the layers (so the check can fail)', () => {
    const src = mkdtempSync(path.join(tmpdir(), 'layers-'));
    try {
      for (const dir of ['domain', 'store', 'pipeline', 'media']) mkdirSync(path.join(src, dir));
      writeFileSync(path.join(src, 'domain', 'record.ts'), "import { x } from '../store/rows.js';\n");
      writeFileSync(
        path.join(src, 'store', 'rows.ts'),
        "import type { R } from '../domain/record.js';\nimport { m } from '../media/m.js';\n",
      );
      writeFileSync(path.join(src, 'pipeline', 'p.ts'), "import { r } from '../store/rows.js';\nimport { q } from '../nowhere/q.js';\n");
      const found = layerViolations(src)
        .map((v) => `${v.from} → ${v.to}`)
        .sort();
      assert.deepEqual(found, ['domain/record.ts → store/rows.ts', 'pipeline/p.ts → nowhere/q.ts', 'store/rows.ts → media/m.ts']);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
});
