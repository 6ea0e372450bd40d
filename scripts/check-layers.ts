/**
 * The dependency rule of src/, checked by test/unit/layers.test.ts and runnable alone
 * (`npm run check:layers`): a module imports only from its own folder or from a lower layer.
 * `src/domain` (and `src/format`) import nothing of ours, so a record field or a unit is defined
 * once and every layer above may use it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest first. Each entry is a top-level folder (or file) of src/. */
export const LAYERS: readonly (readonly string[])[] = [
  ['domain', 'format'],
  ['errors.ts'],
  ['config'],
  ['logging'],
  ['store', 'media'],
  ['sources', 'alerts', 'publish'],
  ['metrics'],
  ['pipeline'],
  // Above pipeline, not beside it: callbacks reuse its address policy (url-policy.ts) and timers.
  ['callbacks'],
  ['http'],
  ['daemon-services.ts'],
  ['main.ts'],
  ['commands'],
  ['cli.ts'],
];

export interface Violation {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

function layerOf(unit: string): number {
  return LAYERS.findIndex((layer) => layer.includes(unit));
}

/** `alerts/rules.ts` → `alerts`; `main.ts` → `main.ts`. */
function unitOf(relative: string): string {
  const [first = ''] = relative.split('/');
  return relative.includes('/') ? first : relative;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

/** Relative specifiers of static imports, re-exports and dynamic `import()`s. */
export function importsOf(text: string): string[] {
  const found = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1] ?? '');
}

/** Every import in `srcDir` that points up, sideways into another folder of its layer, or to an unknown folder. */
export function layerViolations(srcDir: string): Violation[] {
  const violations: Violation[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = path.relative(srcDir, file);
    const fromUnit = unitOf(from);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const to = path.relative(srcDir, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
      const toUnit = unitOf(to);
      if (toUnit === fromUnit) continue;
      const [a, b] = [layerOf(fromUnit), layerOf(toUnit)];
      if (a < 0 || b < 0) violations.push({ from, to, reason: `${a < 0 ? fromUnit : toUnit} is in no layer (add it to LAYERS)` });
      else if (b > a) violations.push({ from, to, reason: `${fromUnit} may not import ${toUnit}, a higher layer` });
      else if (b === a) violations.push({ from, to, reason: `${fromUnit} and ${toUnit} are one layer: neither imports the other` });
    }
  }
  return violations;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = fileURLToPath(new URL('../src', import.meta.url));
  const violations = layerViolations(src);
  console.log(
    LAYERS.map((layer) => layer.join(' '))
      .reverse()
      .join('\n  ↓\n'),
  );
  for (const v of violations) console.error(`✖ ${v.from} → ${v.to}: ${v.reason}`);
  console.log(violations.length === 0 ? '\nno import against the layers' : `\n${violations.length} import(s) against the layers`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
