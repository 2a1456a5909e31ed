import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABSENT, forwardPackagePath, packageRoot } from './module-alias';

const nm = path.join(packageRoot, 'node_modules');
const packages = new Map([
  ['fancyflow', packageRoot],
  ['zod', path.join(nm, 'zod')],
  ['arquero', path.join(nm, 'arquero')],
]);

describe('forwardPackagePath', () => {
  it('puts aliased packages in the notebook folder’s node_modules, for the type checker', () => {
    expect(forwardPackagePath('/nb/node_modules/fancyflow/package.json', packages)).toBe(
      path.join(packageRoot, 'package.json'),
    );
    expect(forwardPackagePath('/nb/node_modules/zod/index.d.ts', packages)).toBe(
      path.join(nm, 'zod', 'index.d.ts'),
    );
    expect(forwardPackagePath('/nb/node_modules/fancyflow', packages)).toBe(packageRoot);
  });

  it('hides nested copies of aliased packages, so the checker finds the top-level one', () => {
    expect(
      forwardPackagePath('/nb/node_modules/fancyflow/node_modules/arquero/package.json', packages),
    ).toBe(ABSENT);
    expect(
      forwardPackagePath('/nb/node_modules/fancyflow/dist/core/node_modules/zod/x.d.ts', packages),
    ).toBe(ABSENT);
  });

  it('finds other dependencies of an aliased package where Node would', () => {
    // commander is a dependency of fancyflow, hoisted to its node_modules
    expect(
      forwardPackagePath(
        '/nb/node_modules/fancyflow/node_modules/commander/package.json',
        packages,
      ),
    ).toBe(path.join(nm, 'commander', 'package.json'));
    expect(
      forwardPackagePath('/nb/node_modules/fancyflow/node_modules/no-such-package/x', packages),
    ).toBe(ABSENT);
  });

  it('leaves real copies and other paths alone', () => {
    expect(forwardPackagePath(path.join(nm, 'zod', 'index.d.ts'), packages)).toBeUndefined();
    expect(forwardPackagePath('/nb/node_modules/left-pad/index.js', packages)).toBeUndefined();
    expect(forwardPackagePath('/nb/cell.ts', packages)).toBeUndefined();
  });
});
