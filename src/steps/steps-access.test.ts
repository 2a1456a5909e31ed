import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defaultRegistry, isFancyflowError, step } from '../core';
import { steps } from '.';

describe('steps reaches every registered step', () => {
  afterEach(() => {
    defaultRegistry().unregister('power_to_weight');
  });

  test('a step registered after import is reachable as steps.<slug>', () => {
    expect('power_to_weight' in steps).toBe(false);
    const fn = step(
      { slug: 'power_to_weight', inputs: { x: z.number() }, output: z.number() },
      ({ x }) => x * 2,
    );
    expect(steps.power_to_weight).toBe(fn);
    expect(steps['power_to_weight']).toBe(fn);
    expect('power_to_weight' in steps).toBe(true);
    expect(Object.keys(steps)).toContain('power_to_weight');
    expect(steps.power_to_weight({ x: 'a' }, {}, { id: 'ptw' })).toMatchObject({
      id: 'ptw',
      slug: 'power_to_weight',
      wiring: { x: 'a' },
    });
  });

  test('the standard steps are the registered ones', () => {
    expect(steps.filter).toBe(defaultRegistry().require('filter'));
    expect(Object.keys(steps)).toEqual(
      expect.arrayContaining(['filter', 'limit', 'chart', 'read_json']),
    );
  });

  test('an unknown slug throws UNKNOWN_STEP with the closest slugs', () => {
    let error: unknown;
    try {
      void steps.limt;
    } catch (e) {
      error = e;
    }
    expect(isFancyflowError(error, 'UNKNOWN_STEP')).toBe(true);
    expect((error as Error).message).toMatch(/did you mean "limit"/);
  });

  test('runtimes probing the object see no step, not an error', () => {
    expect((steps as unknown as { then?: unknown }).then).toBeUndefined();
    expect(typeof (steps as unknown as { toString: unknown }).toString).toBe('function');
    expect(JSON.stringify(Object.keys(steps).length)).toMatch(/^\d+$/);
    expect(() => {
      (steps as unknown as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
  });
});
