/**
 * Whose alert is it. On a store shared by a fleet (PostgreSQL) every daemon evaluates the rules, and
 * most conditions are one daemon's own (its CPU, disk, worker loop, crashes, its view of a CMS): their
 * alerts carry the daemon's worker id, `cpu@encoder-a`, so another daemon never touches or resolves
 * them. Conditions of the fleet as a whole, read from the shared ledger, keep their plain name.
 * Alone on its store (scope null), a daemon's rules keep their plain names, as ever.
 */

/** Rules judged from the shared store, the same by every daemon. */
const FLEET_RULES: ReadonlySet<string> = new Set(['failed_jobs']);

/** The rule name stored for a condition of `rule` judged by the daemon of `scope`. */
export function scopedRule(rule: string, scope: string | null): string {
  return scope === null || FLEET_RULES.has(rule) ? rule : `${rule}@${scope}`;
}

/** A stored rule name split into the rule and the daemon it belongs to (null: no daemon's own). */
export function splitRule(stored: string): { rule: string; scope: string | null } {
  const at = stored.indexOf('@');
  return at < 0 ? { rule: stored, scope: null } : { rule: stored.slice(0, at), scope: stored.slice(at + 1) };
}

/** Whether the daemon of `scope` keeps the alert of this stored rule (opens, touches, resolves it). */
export function ownsRule(stored: string, scope: string | null): boolean {
  if (scope === null) return true;
  const split = splitRule(stored);
  return split.scope === scope || (split.scope === null && FLEET_RULES.has(split.rule));
}
