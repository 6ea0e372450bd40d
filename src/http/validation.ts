import { z } from 'zod';
import { AppError } from '../errors.js';
import { parseJobKey } from '../domain/job-key.js';
import { isValidRecordId, JOB_STATUSES, SOURCE_KINDS } from '../domain/record.js';
import { MAX_SOURCE_URL_LENGTH, parseHttpUrl } from '../pipeline/url-policy.js';

/** Control characters have no business in a URL or title and hide tricks in logs. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A submitted URL must be exactly one: no whitespace or control characters around or inside it. */
function httpUrl(text: string): URL | null {
  if (/\s/.test(text) || hasControl(text)) return null;
  try {
    return parseHttpUrl(text);
  } catch {
    return null;
  }
}

/** `:id` of /api/jobs/:id (already percent-decoded by the router). */
export const jobIdParams = z.object({
  id: z.string().refine(isValidRecordId, 'must match ^[A-Za-z0-9._-]{1,64}$'),
});

/**
 * `:key` of /api/jobs/:key: `<source>-<id>`, or a bare local id as the API has always taken
 * (`/api/jobs/<id>` = `/api/jobs/local-<id>`). Normalised to the key.
 */
export const jobKeyParams = z.object({
  key: z
    .string()
    .refine(
      (text) => (looksLikeKey(text) ? parseJobKey(text) !== null : isValidRecordId(text)),
      'must be a job key <source>-<id> or a local job id',
    )
    .transform((text) => (looksLikeKey(text) ? text : `local-${text}`)),
});

/** `<known source>-…`: read as a key (and refused if its id is bad), never as a bare local id. */
function looksLikeKey(text: string): boolean {
  return SOURCE_KINDS.some((kind) => text.startsWith(`${kind}-`));
}

/** A per-job ladder: distinct names of LADDER's rungs, at least one. */
function ladderField(names: readonly string[]) {
  return z
    .array(z.string().max(32))
    .min(1, 'must name at least one rung')
    .max(names.length)
    .refine((list) => list.every((name) => names.includes(name)), `must only name rungs of LADDER (${names.join(', ')})`)
    .refine((list) => new Set(list).size === list.length, 'must not repeat a rung');
}

/** Body of PATCH /api/jobs/:key: at least one change; `ladder: null` goes back to the whole ladder. */
export function patchJobBody(ladderNames: readonly string[]) {
  return z
    .strictObject({
      priority: z.number().int().min(1).max(10).optional(),
      ladder: ladderField(ladderNames).nullable().optional(),
    })
    .refine((body) => body.priority !== undefined || body.ladder !== undefined, 'must change priority or ladder')
    .transform((body) => ({
      ...(body.priority !== undefined ? { priority: body.priority } : {}),
      ...(body.ladder !== undefined ? { ladder: body.ladder ?? [] } : {}),
    }));
}

/** Body of POST /api/jobs; unknown fields are refused so typos do not pass silently. */
export function createJobBody(ladderNames: readonly string[]) {
  return createJobFields.extend({
    ladder: ladderField(ladderNames).optional(),
    callback_url: z
      .string()
      .max(2048, 'must be at most 2048 characters')
      .refine((text) => httpUrl(text) !== null, 'must be an absolute http(s) URL')
      .transform((text) => (httpUrl(text) as URL).href)
      .optional(),
  });
}

const createJobFields = z.strictObject({
  source_url: z
    .string()
    .max(MAX_SOURCE_URL_LENGTH, `must be at most ${MAX_SOURCE_URL_LENGTH} characters`)
    .refine((text) => httpUrl(text) !== null, 'must be an absolute http(s) URL')
    .transform((text) => (httpUrl(text) as URL).href),
  priority: z.number().int().min(1).max(10).default(5),
  title: z
    .string()
    .trim()
    .max(200, 'must be at most 200 characters')
    .refine((text) => !hasControl(text), 'must not contain control characters')
    .optional()
    .transform((text) => (text ? text : null)),
});

/**
 * Query of GET /api/jobs. Unknown parameters are ignored (cache busters). `limit`/`offset` are the
 * older names of `per_page`/`page` (offset rounded down to a page).
 */
export const listJobsQuery = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    source: z.enum(SOURCE_KINDS).optional(),
    q: z
      .string()
      .trim()
      .max(200, 'must be at most 200 characters')
      .refine((text) => !hasControl(text), 'must not contain control characters')
      .optional(),
    page: z.coerce.number().int().min(1).max(100_000).optional(),
    per_page: z.coerce.number().int().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  })
  .transform(({ status, source, q, page, per_page, limit, offset }) => {
    const perPage = per_page ?? limit ?? 20;
    return { status, source, text: q || undefined, perPage, page: page ?? Math.floor((offset ?? 0) / perPage) + 1 };
  });

/** Parses `value` or throws `invalid_request` naming every bad field (never echoing its value). */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new AppError('invalid_request', problems.join('; '));
}
