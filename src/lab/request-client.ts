/**
 * Request/reply matching over a message channel (the `fancyflow` comm): each request gets an id,
 * its reply settles the promise, a request that gets no reply in time fails with
 * `KERNEL_UNAVAILABLE`, and closing the channel fails every pending request. Messages that are
 * not replies (events, registry and workflow changes) go to `onPush`. No DOM, no JupyterLab.
 */
import { FancyflowError, type ErrorCode, type JsonValue } from '../core/errors';
import {
  KernelMessageSchema,
  PROTOCOL_VERSION,
  type Push,
  type Request,
  type ResultMap,
} from '../protocol/messages';

/** A request without the fields the client fills in. */
export type RequestBody<T extends Request['type'] = Request['type']> = Omit<
  Extract<Request, { type: T }>,
  'v' | 'id'
>;

/** Options of one request. */
export interface RequestOptions {
  /** Milliseconds before the request fails with `KERNEL_UNAVAILABLE`; 0 waits forever. */
  timeoutMs?: number;
}

interface Pending {
  type: string;
  resolve(value: unknown): void;
  reject(error: FancyflowError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Default milliseconds a request waits for its reply. */
export const DEFAULT_TIMEOUT_MS = 30_000;

let clientCounter = 0;

/**
 * Matches replies to requests over one channel.
 *
 * @example
 * const client = new RequestClient((msg) => comm.send(msg), (push) => model.apply(push));
 * comm.onMsg = (msg) => client.receive(msg.content.data);
 * const { steps } = await client.request({ type: 'list-steps' });
 */
export class RequestClient {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = `lab${++clientCounter}-${Date.now().toString(36)}`;
  private counter = 0;
  private closedReason: string | undefined;

  constructor(
    private readonly send: (message: Request) => void,
    private readonly onPush: (push: Push) => void,
    private readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** How many requests wait for their reply. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Sends a request; resolves with its result, rejects with a FancyflowError. */
  request<T extends Request['type']>(
    body: RequestBody<T> & { type: T },
    options: RequestOptions = {},
  ): Promise<ResultMap[T]> {
    if (this.closedReason !== undefined) {
      return Promise.reject(unavailable(this.closedReason, body.type));
    }
    const id = `${this.prefix}-${++this.counter}`;
    const message = { ...body, v: PROTOCOL_VERSION, id } as Request;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<ResultMap[T]>((resolve, reject) => {
      const entry: Pending = {
        type: body.type,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: undefined,
      };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(
            new FancyflowError(
              'KERNEL_UNAVAILABLE',
              `The kernel did not answer "${body.type}" within ${Math.round(timeoutMs / 1000)} s`,
              { details: { request: body.type, timeoutMs } },
            ),
          );
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      try {
        this.send(message);
      } catch (e) {
        this.settle(id);
        reject(unavailable(e instanceof Error ? e.message : String(e), body.type));
      }
    });
  }

  /**
   * Handles one message from the kernel. Malformed messages are ignored (the kernel's bug, not the
   * user's: nothing the user did can be repaired by an error here); returns false for them.
   */
  receive(data: unknown): boolean {
    const parsed = KernelMessageSchema.safeParse(data);
    if (!parsed.success) return false;
    const message = parsed.data;
    if (message.type !== 'reply') {
      this.onPush(data as Push);
      return true;
    }
    const entry = this.settle(message.id);
    if (!entry) return false;
    if (message.ok) {
      entry.resolve(message.result);
    } else {
      const error = message.error ?? {
        code: 'INTERNAL',
        message: 'The kernel refused the request',
      };
      entry.reject(
        new FancyflowError(error.code as ErrorCode, error.message, {
          details: ((error as { details?: Record<string, JsonValue> }).details ?? {}) as Record<
            string,
            JsonValue
          >,
        }),
      );
    }
    return true;
  }

  private settle(id: string): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    return entry;
  }

  /** Fails every pending request and refuses new ones (the comm closed, the kernel restarted). */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [id, entry] of [...this.pending]) {
      this.settle(id);
      entry.reject(unavailable(reason, entry.type));
    }
  }
}

function unavailable(reason: string, request: string): FancyflowError {
  return new FancyflowError(
    'KERNEL_UNAVAILABLE',
    `No fancyflow kernel to answer "${request}": ${reason}`,
    {
      details: { request, reason },
    },
  );
}
