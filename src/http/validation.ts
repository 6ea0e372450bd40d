import { z } from 'zod';
import { AppError } from '../errors.js';
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

/** Body of POST /api/jobs; unknown fields are refused so typos do not pass silently. */
export const createJobBody = z.strictObject({
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

/** Query of GET /api/jobs. Unknown parameters are ignored (cache busters). */
export const listJobsQuery = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  source: z.enum(SOURCE_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** Parses `value` or throws `invalid_request` naming every bad field (never echoing its value). */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${[what, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new AppError('invalid_request', problems.join('; '));
}
