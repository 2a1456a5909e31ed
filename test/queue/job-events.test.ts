/**
 * The coordinator's reader of the queue's event stream, against a real redis-server: what it
 * passes on, in order, from entries written as BullMQ's scripts write them and from forged ones.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobEvents, type JobEventName } from '../../src/engines/queue/job-events';
import { startRedis, type RedisService } from '../support/services';

let redis: RedisService;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: redis.port });
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JobEvents', () => {
  it('passes on the active, progress, completed and failed events after `from`, in order, and nothing else', async () => {
    const key = 'test:events:1';
    await client.xadd(key, '*', 'event', 'completed', 'jobId', 'before', 'returnvalue', '{}');
    const [[from]] = (await client.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const heard: [JobEventName, string, string | undefined][] = [];
    let patient = true;
    const events = await JobEvents.open({
      connection: { host: '127.0.0.1', port: redis.port },
      key,
      from: from!,
      listener: (event, jobId, value) => heard.push([event, jobId, value]),
      patient: () => patient,
    });
    try {
      await client.xadd(key, '*', 'event', 'added', 'jobId', 'a', 'name', 'step');
      await client.xadd(key, '*', 'event', 'active', 'jobId', 'a', 'prev', 'waiting');
      await client.xadd(key, '*', 'event', 'progress', 'jobId', 'a', 'data', '{"p":1}');
      await client.xadd(key, '*', 'event', 'completed', 'jobId', 'a', 'returnvalue', '{"x":1}');
      await client.xadd(key, '*', 'event', 'drained');
      // forged entries: no job id, an unknown event, a value that is not JSON, fields out of order
      await client.xadd(key, '*', 'event', 'completed', 'returnvalue', '{}');
      await client.xadd(key, '*', 'event', 'exploded', 'jobId', 'b');
      await client.xadd(key, '*', 'event', 'completed', 'jobId', 'b', 'returnvalue', 'not json');
      await client.xadd(key, '*', 'jobId', 'c', 'event', 'failed', 'failedReason', 'boom');
      await until('the events', () => heard.length >= 5);
      patient = false;
      await client.xadd(key, '*', 'event', 'active', 'jobId', 'd');
      await until('the last event', () => heard.length >= 6);
      expect(heard).toEqual([
        ['active', 'a', undefined],
        ['progress', 'a', '{"p":1}'],
        ['completed', 'a', '{"x":1}'],
        ['completed', 'b', 'not json'],
        ['failed', 'c', 'boom'],
        ['active', 'd', undefined],
      ]);
    } finally {
      await events.close();
    }
  });

  it('close() ends a read that is waiting for events', async () => {
    const events = await JobEvents.open({
      connection: { host: '127.0.0.1', port: redis.port },
      key: 'test:events:2',
      from: '0-0',
      listener: () => undefined,
      patient: () => false,
    });
    await new Promise((r) => setTimeout(r, 50));
    await events.close();
  });
});
