/**
 * Writes the two generated documents (`npm run docs`):
 *
 * - docs/configuration.md: every variable of the env schema (src/config/schema.ts) with its
 *   default and accepted values, described by the comment lines above it in .env.example and
 *   grouped under .env.example's section headers;
 * - docs/errors.md: the error catalog (src/errors.ts), one row per code.
 *
 * The render functions only read (the schema, the catalog, .env.example's text, which a caller may
 * pass) and return markdown; test/unit/generated-docs.test.ts fails when the committed files differ
 * from what they produce. Only src/config/schema.ts and
 * src/errors.ts are imported: the generator must not depend on the daemon's other modules.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envSchema } from '../src/config/schema.js';
import { ERROR_CATALOG } from '../src/errors.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIGURATION_DOC = 'docs/configuration.md';
export const ERRORS_DOC = 'docs/errors.md';
export const ENV_EXAMPLE = '.env.example';

// --- .env.example ---------------------------------------------------------------------------------

/** A comment block and the variables right below it (the comment describes them together). */
export interface EnvBlock {
  readonly description: string;
  readonly variables: readonly { readonly name: string; readonly example: string }[];
}

/** A `# --- Title ---` section of .env.example. */
export interface EnvGroup {
  readonly title: string;
  readonly blocks: readonly EnvBlock[];
  /** Comment blocks followed by no variable (a note about the whole group). */
  readonly notes: readonly string[];
}

export interface EnvExample {
  /** The comment lines at the top of the file, before its first blank line. */
  readonly preamble: string;
  readonly groups: readonly EnvGroup[];
}

const SECTION = /^#\s*-{3,}\s*(.*?)\s*-*\s*$/;
const VARIABLE = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/** Reads .env.example's structure: section headers, comment blocks and the variables they describe. */
export function parseEnvExample(text: string): EnvExample {
  const lines = text.split(/\r?\n/);
  const preambleLines: string[] = [];
  let i = 0;
  for (; i < lines.length && (lines[i] ?? '').startsWith('#') && !SECTION.test(lines[i] ?? ''); i++) {
    preambleLines.push(commentText(lines[i] ?? ''));
  }

  const groups: { title: string; blocks: EnvBlock[]; notes: string[] }[] = [];
  let group: (typeof groups)[number] | null = null;
  let comment: string[] = [];
  let run: { name: string; example: string }[] = [];
  const currentGroup = () => {
    if (group === null) {
      group = { title: 'General', blocks: [], notes: [] };
      groups.push(group);
    }
    return group;
  };
  const flush = () => {
    if (run.length > 0) currentGroup().blocks.push({ description: comment.join(' '), variables: run });
    else if (comment.length > 0) currentGroup().notes.push(comment.join(' '));
    comment = [];
    run = [];
  };

  for (; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const section = SECTION.exec(line);
    const variable = VARIABLE.exec(line);
    if (section) {
      flush();
      group = { title: sectionTitle(section[1] ?? ''), blocks: [], notes: [] };
      groups.push(group);
    } else if (variable) {
      run.push({ name: variable[1] ?? '', example: variable[2] ?? '' });
    } else if (line.startsWith('#')) {
      if (run.length > 0) flush();
      comment.push(commentText(line));
    } else if (line === '') {
      flush();
    }
  }
  flush();
  return { preamble: preambleLines.filter(Boolean).join(' '), groups };
}

function commentText(line: string): string {
  return line.replace(/^#\s?/, '').trim();
}

/** "Appwrite (SOURCES=appwrite; docs/sources/appwrite.md)" → "Appwrite (SOURCES=appwrite)": a header's pointer to a doc is for readers of .env.example. */
function sectionTitle(raw: string): string {
  const withoutPointers = raw.replace(/;?\s*docs\/[\w./-]+/g, '').replace(/\(\s*\)/g, '');
  return withoutPointers.replace(/\s{2,}/g, ' ').trim();
}

// --- The env schema -------------------------------------------------------------------------------

export interface VariableFacts {
  /** The schema's default as written in .env (null: unset by default). */
  readonly default: string | null;
  /** What the schema accepts, in words ('' when it takes free text). */
  readonly accepts: string;
}

/** The default and accepted values of one variable of `envSchema`, read from the schema itself. */
export function variableFacts(schema: z.ZodType): VariableFacts {
  let fallback: string | null = null;
  let node: z.ZodType = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (node instanceof z.ZodDefault) {
      fallback ??= formatDefault(node.def.defaultValue);
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodOptional) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      if (node.in instanceof z.ZodString && node.out instanceof z.ZodBoolean) return { default: fallback, accepts: '`true` | `false`' };
      node = node.in as z.ZodType;
    } else {
      break;
    }
  }
  return { default: fallback, accepts: acceptedValues(node) || rejectionHint(schema) };
}

function formatDefault(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What the schema's own types say: enum options, number bounds, URL protocols, e-mail, a minimum length. */
function acceptedValues(node: z.ZodType): string {
  if (node instanceof z.ZodEnum) return node.options.map((option) => `\`${String(option)}\``).join(' | ');
  if (node instanceof z.ZodNumber) {
    const kind = node.isInt ? 'integer' : 'number';
    const min = node.minValue !== null && Number.isFinite(node.minValue) ? node.minValue : null;
    const max = node.maxValue !== null && Number.isFinite(node.maxValue) && node.maxValue < Number.MAX_SAFE_INTEGER ? node.maxValue : null;
    if (min !== null && max !== null) return `${kind} ${min}–${max}`;
    if (min !== null) return `${kind} ≥ ${min}`;
    if (max !== null) return `${kind} ≤ ${max}`;
    return kind;
  }
  if (node instanceof z.ZodURL) {
    const protocol = node._zod.def.protocol?.source.replace(/^\^|\$$/g, '').replace(/s\?$/, '(s)');
    return protocol === undefined ? 'URL' : `${protocol} URL`;
  }
  if (node instanceof z.ZodEmail) return 'e-mail address';
  if (node instanceof z.ZodString && (node.minLength ?? 0) > 1) return `${node.minLength}+ characters`;
  return '';
}

/** Values that fail every format check (free text takes them); the first one refused yields the hint. */
const PROBES = ['!', ' :'];

/**
 * For a variable checked by a custom parser or pattern (durations, sizes, cron, SOURCES, ids), what
 * the schema says when it refuses a value: "is not a duration between 1000 ms and 600000 ms" →
 * "duration, 1 s–10 min". Empty when it accepts the probes or its message is not about the format.
 */
function rejectionHint(schema: z.ZodType): string {
  for (const probe of PROBES) {
    const issues = schema.safeParse(probe).error?.issues ?? [];
    if (issues.length === 0) continue;
    if (issues.length > 1) return '';
    const message = (issues[0]?.message ?? '').replace(`"${probe}"`, '').trim();
    const duration = /is not a duration between (\d+) ms and (\d+) ms/.exec(message);
    if (duration) return `duration, ${humanMs(Number(duration[1]))}–${humanMs(Number(duration[2]))}`;
    if (/is not a size/.test(message)) return 'size';
    if (/valid cron expression/.test(message)) return / or off$/.test(message) ? 'cron expression, or `off`' : 'cron expression';
    const choices = /one or more of ([a-z0-9_-]+(?:, [a-z0-9_-]+)*)/.exec(message)?.[1];
    if (choices !== undefined)
      return `one or more of ${choices
        .split(', ')
        .map((c) => `\`${c}\``)
        .join(', ')}, comma-separated`;
    if (message.includes(probe.trim()) || /^invalid/i.test(message)) return '';
    return message.replace(/^(must be|must|may use|is)\s+/, '');
  }
  return '';
}

function humanMs(ms: number): string {
  if (ms === 0) return '0';
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

// --- Markdown -------------------------------------------------------------------------------------

/** Text for a table cell: code spans kept, `|` escaped everywhere, `<` and `*` escaped outside code. */
export function cell(text: string): string {
  const parts = text.split(/(`[^`]*`)/).map((part) => (/^`[^`]*`$/.test(part) ? part : part.replace(/([\\<*])/g, '\\$1')));
  return parts.join('').replace(/\|/g, '\\|');
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function banner(sources: string): string {
  return `<!-- Generated by \`npm run docs\` from ${sources} — do not edit. -->`;
}

// --- docs/configuration.md ------------------------------------------------------------------------

/** docs/configuration.md: the env schema's variables with .env.example's descriptions and groups. */
export function renderConfigurationDoc(envExampleText: string = readFileSync(path.join(ROOT, ENV_EXAMPLE), 'utf8')): string {
  const example = parseEnvExample(envExampleText);
  const shape = envSchema.shape as Record<string, z.ZodType>;
  const documented = new Set(example.groups.flatMap((g) => g.blocks.flatMap((b) => b.variables.map((v) => v.name))));
  const undocumented = Object.keys(shape).filter((name) => !documented.has(name));

  const out: string[] = [
    banner('`envSchema` in `src/config/schema.ts` and the comments of `.env.example`'),
    '',
    '# Configuration',
    '',
    'Settings come from `.env` in the working directory (or the file named by `ENV_FILE`) and from the',
    'environment, which wins. Every variable is validated when a command starts, and every problem is',
    "reported at once with the variable's name. An empty value means the default.",
    '',
  ];
  if (example.preamble !== '') {
    out.push('`.env.example` lists every variable with its default, and opens with:', '', `> ${cell(example.preamble)}`, '');
  }
  out.push(
    'Each row is one comment of `.env.example` with the variables below it. "Default" is the schema\'s',
    'default; — means unset (the description says what unset does). "Accepts" is what the schema checks.',
    '',
    `${Object.keys(shape).length} variables in ${example.groups.length} groups:`,
    '',
    ...example.groups.map((g) => `- [${g.title}](#${slug(g.title)})`),
    '',
  );

  for (const group of example.groups) {
    out.push(`## ${group.title}`, '');
    for (const note of group.notes) out.push(cell(note), '');
    if (group.blocks.length === 0) continue;
    out.push('| variable | default | accepts | description |', '|---|---|---|---|');
    for (const block of group.blocks) {
      const rows = block.variables.map((v) => {
        const schema = shape[v.name];
        if (schema === undefined) return { name: code(v.name), fallback: '', accepts: '**not read by the daemon**' };
        const facts = variableFacts(schema);
        return { name: code(v.name), fallback: facts.default === null ? '—' : cell(code(facts.default)), accepts: cell(facts.accepts) };
      });
      const column = (key: 'name' | 'fallback' | 'accepts') => rows.map((r) => r[key]).join('<br>');
      out.push(tableRow([column('name'), column('fallback'), column('accepts'), cell(block.description)]));
    }
    out.push('');
  }

  if (undocumented.length > 0) {
    out.push('## Missing from .env.example', '', '| variable | default | accepts |', '|---|---|---|');
    for (const name of undocumented) {
      const facts = variableFacts(shape[name] as z.ZodType);
      out.push(tableRow([code(name), facts.default === null ? '—' : cell(code(facts.default)), cell(facts.accepts)]));
    }
    out.push('');
  }
  return out.join('\n');
}

/** GitHub's heading anchor: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
export function slug(heading: string): string {
  const words = heading.toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '');
  return words.trim().replace(/\s/g, '-');
}

// --- docs/errors.md -------------------------------------------------------------------------------

/** docs/errors.md: every code of the error catalog with its retry behaviour, HTTP status and summary. */
export function renderErrorsDoc(): string {
  const entries = Object.entries(ERROR_CATALOG) as [string, { retryable: boolean; http: number; summary: string }][];
  const retried = entries.filter(([, e]) => e.retryable).length;
  return [
    banner('`ERROR_CATALOG` in `src/errors.ts`'),
    '',
    '# Error codes',
    '',
    'Every failure the daemon records or answers with has a stable `error_code` from this catalog, and',
    'a message a person can act on. Match on the code, never on the message.',
    '',
    '- **retried**: `yes` means a failed job is tried again on the `RETRY_DELAYS` schedule, `no` fails it',
    "  at once. The code raising an error may decide otherwise for one failure: a source server's 408 or",
    "  429 is retried although `source_http_error` is not. Each attempt's error is kept in `retry_errors`.",
    '- **HTTP**: the status the HTTP API answers with when a request fails with this code, as',
    '  `{"error": {"code": "…", "message": "…"}}`.',
    '',
    `${entries.length} codes, ${retried} retried.`,
    '',
    '| code | retried | HTTP | meaning |',
    '|---|---|---|---|',
    ...entries.map(([name, e]) => tableRow([code(name), e.retryable ? 'yes' : 'no', String(e.http), cell(e.summary)])),
    '',
  ].join('\n');
}

// --- Command --------------------------------------------------------------------------------------

/** The generated files and their content, relative to the repository root. */
export function generatedDocs(): Record<string, string> {
  return { [CONFIGURATION_DOC]: renderConfigurationDoc(), [ERRORS_DOC]: renderErrorsDoc() };
}

function main(): void {
  for (const [file, content] of Object.entries(generatedDocs())) {
    const target = path.join(ROOT, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${file} (${content.split('\n').length} lines)`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
