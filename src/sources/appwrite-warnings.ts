import { getGlobalDispatcher, type Dispatcher } from 'undici';

/** The response header in which Appwrite warns its clients (e.g. an SDK newer than the server). */
const WARNING_HEADER = 'x-appwrite-warning';
/** A server that put request-specific text into its warnings would otherwise grow the set without end. */
const MAX_DISTINCT = 100;

/**
 * Appwrite's warnings (`X-Appwrite-Warning`) to `onWarning` (the source's log, the doctor's
 * report), once per distinct message. node-appwrite would print every one with console.warn, on
 * every request: past the log files, and hundreds of times an hour. The SDK takes an undici dispatcher per request (its
 * RequestInit), so the header is taken off the response there, before the SDK sees it, through a
 * dispatcher composed over the one the SDK would have used: no global is patched.
 */
export class ServerWarnings {
  private readonly seen = new Set<string>();
  private readonly composed = new WeakMap<Dispatcher, Dispatcher>();

  constructor(private readonly onWarning: (message: string) => void) {}

  /** Every distinct message logged so far, oldest first. */
  get messages(): readonly string[] {
    return [...this.seen];
  }

  report(message: string): void {
    if (this.seen.has(message) || this.seen.size >= MAX_DISTINCT) return;
    this.seen.add(message);
    this.onWarning(message);
  }

  /** `base` (the SDK's own dispatcher, or undici's global one) with the warning header taken off every response. */
  dispatcher(base: Dispatcher = getGlobalDispatcher()): Dispatcher {
    let composed = this.composed.get(base);
    if (!composed) {
      const intercept =
        (dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] =>
        (options, handler) =>
          dispatch(options, this.wrap(handler));
      composed = base.compose(intercept);
      this.composed.set(base, composed);
    }
    return composed;
  }

  /** The handler as undici calls it, except that onHeaders gets the headers without the warning. */
  private wrap(handler: Dispatcher.DispatchHandlers): Dispatcher.DispatchHandlers {
    return new Proxy(handler, {
      get: (target, property, receiver): unknown => {
        if (property !== 'onHeaders' || target.onHeaders === undefined) return Reflect.get(target, property, receiver);
        return (status: number, raw: Buffer[], resume: () => void, statusText: string): boolean | undefined =>
          target.onHeaders?.(status, this.takeWarnings(raw), resume, statusText);
      },
    });
  }

  /** Raw headers come as [name, value, name, value…]; the SDK splits a warning header on `;`. */
  private takeWarnings(raw: Buffer[]): Buffer[] {
    const kept: Buffer[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (latin1(name).toLowerCase() !== WARNING_HEADER) {
        kept.push(name, value);
        continue;
      }
      for (const message of latin1(value).split(';')) if (message.trim() !== '') this.report(message.trim());
    }
    return kept;
  }
}

/** Header bytes as undici itself reads them (a string when a dispatcher already decoded them). */
function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}
