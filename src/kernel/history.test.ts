import { describe, expect, it } from 'vitest';
import { History } from './history';

describe('History', () => {
  const history = new History();
  ['a = 1', 'b = 2', 'a = 1', 'print(a)'].forEach((input, i) => history.record(i + 1, input));
  history.recordOutput(4, '1');

  it('answers tail, range and search like IPython', () => {
    expect(history.query({ hist_access_type: 'tail', n: 2 })).toEqual([
      [1, 3, 'a = 1'],
      [1, 4, 'print(a)'],
    ]);
    expect(history.query({ hist_access_type: 'range', session: 1, start: 2, stop: 3 })).toEqual([
      [1, 2, 'b = 2'],
    ]);
    expect(history.query({ hist_access_type: 'search', pattern: 'a = *' })).toHaveLength(2);
    expect(history.query({ hist_access_type: 'search', pattern: 'a = *', unique: true })).toEqual([
      [1, 3, 'a = 1'],
    ]);
    expect(history.query({ hist_access_type: 'tail', n: 1, output: true })).toEqual([
      [1, 4, ['print(a)', '1']],
    ]);
    expect(history.query({ hist_access_type: 'range', session: 7 })).toEqual([]);
  });
});
