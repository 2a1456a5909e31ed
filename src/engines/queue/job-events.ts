/**
 * What a coordinator hears of its jobs: the `active`, `progress`, `completed` and `failed` entries
 * of the queue's event stream (`<prefix>:<queue>:events`, where BullMQ's scripts add one entry for every
 * transition of every job), read with blocking XREADs on a connection of its own.
 *
 * Read here rather than through BullMQ's QueueEvents, which parsed every entry (every completed
 * job's return value included, other runs' too), set a watchdog timer per read, and read again at
 * every wake-up: the coordinator spent about as much CPU per chained step as the worker's own
 * BullMQ work, on the same two cores. Here an entry is only split into its fields, and a
 * value is passed on as the text it is (the listener parses what it waits for). While
 * {@link JobEventsOptions.patient} says so (every job waited for is a chain, whose steps' reports
 * come as its progress), reads are spaced {@link PATIENT_READ_MS} apart, so one read takes several
 * steps' events.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** The events a coordinator acts on. */
export type JobEventName = 'active' | 'progress' | 'completed' | 'failed';

/** How long one blocking read waits at most (it is then issued again). */
const BLOCK_MS = 5_000;
/** The space between reads while the coordinator is patient. */
export const PATIENT_READ_MS = 5;
/** The wait before reading again after a failed read (Redis gone: the client reconnects). */
const RETRY_MS = 1_000;

export interface JobEventsOptions {
  /** The connection (a new one is made from it). */
  connection: RedisOptions;
  /** The stream's key. */
  key: string;
  /** The id of the last entry not to be read (`0-0`: from the start). */
  from: string;
  /**
   * Called for each event, in the stream's order; `value` is the return value's JSON, the progress's
   * JSON or the failed reason.
   */
  listener: (event: JobEventName, jobId: string, value: string | undefined) => void;
  /** True when nothing waited for needs a quick answer: reads are then spaced out. */
  patient: () => boolean;
}

/** A reader of the event stream; {@link JobEvents.close} stops it. */
export class JobEvents {
  private closing = false;
  private readonly reading: Promise<void>;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly client: Redis,
    private readonly options: JobEventsOptions,
  ) {
    this.reading = this.read(options.from);
  }

  /** Connects and starts reading. Throws what the connection throws. */
  static async open(options: JobEventsOptions): Promise<JobEvents> {
    // a blocking read must never be cut short by a retry limit
    const client = new Redis({
      ...options.connection,
      lazyConnect: true,
      maxRetriesPerRequest: null,
    });
    await client.connect();
    return new JobEvents(client, options);
  }

  /** Stops reading and disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    this.client.disconnect();
    await this.reading;
  }

  private async read(from: string): Promise<void> {
    let id = from;
    while (!this.closing) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = await this.client.xread('BLOCK', BLOCK_MS, 'STREAMS', this.options.key, id);
      } catch {
        if (this.closing) return;
        await this.sleep(RETRY_MS);
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply) {
        for (const [entryId, fields] of entries) {
          id = entryId;
          this.dispatch(fields);
        }
      }
      if (this.options.patient()) await this.sleep(PATIENT_READ_MS);
    }
  }

  private dispatch(fields: string[]): void {
    let event: string | undefined;
    let jobId: string | undefined;
    let value: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i];
      if (field === 'event') event = fields[i + 1];
      else if (field === 'jobId') jobId = fields[i + 1];
      else if (field === 'returnvalue' || field === 'failedReason' || field === 'data')
        value = fields[i + 1];
    }
    if (jobId === undefined) return;
    if (event === 'active' || event === 'progress' || event === 'completed' || event === 'failed') {
      this.options.listener(event, jobId, value);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
