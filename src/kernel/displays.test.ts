import { describe, expect, it } from 'vitest';
import { MemoryDatumStore } from '../core/memory-store';
import { CELL_MIME_TYPE } from '../protocol/messages';
import { cellBundle, plainText, richMime } from './displays';
import { fromCodePointOffset, toCodePointOffset } from './code-points';

describe('displays', () => {
  it('gives Vega and Vega-Lite specs their MIME types, and PNG bytes image/png', () => {
    expect(
      Object.keys(richMime({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json' })),
    ).toEqual(['application/vnd.vegalite.v5+json']);
    expect(
      Object.keys(richMime({ $schema: 'https://vega.github.io/schema/vega/v5.json' })),
    ).toEqual(['application/vnd.vega.v5+json']);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
    expect(Object.keys(richMime(png))).toEqual(['image/png']);
    expect(richMime({ a: 1 })).toEqual({});
  });

  it('shows a stored value as text, HTML and the FancyCell MIME type', () => {
    const store = new MemoryDatumStore();
    const rows = [
      { a: 1, when: new Date(0) },
      { a: 2, when: new Date(1000) },
    ];
    const cell = store.persist(rows, { cellId: 'c1' });
    const bundle = cellBundle(rows, cell);
    expect(bundle.data['text/plain']).toBe(plainText(rows));
    expect(bundle.data['text/html']).toContain('<th>when</th>');
    expect(JSON.parse(JSON.stringify(bundle.data[CELL_MIME_TYPE]))).toMatchObject({
      cell: { id: 'c1', kind: 'json', summary: { shape: [2] } },
      rows: [{ a: 1, when: '1970-01-01T00:00:00.000Z' }, { a: 2 }],
    });
  });

  it('converts cursor positions between code points and UTF-16', () => {
    const text = 'a😀b';
    expect(fromCodePointOffset(text, 2)).toBe(3);
    expect(toCodePointOffset(text, 3)).toBe(2);
  });
});
