/**
 * What a cell's source says about its value, read with the TypeScript parser tslab already loads:
 * a cell that ends with a bare variable (`cars`) names its value after it.
 */
import * as ts from '@tslab/typescript-for-tslab';

/** The variable a cell ends with (`const cars = …; cars`), or undefined. */
export function lastExpressionName(code: string): string | undefined {
  const source = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false);
  const last = source.statements[source.statements.length - 1];
  if (!last || !ts.isExpressionStatement(last)) return undefined;
  let expression = last.expression;
  while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
  return ts.isIdentifier(expression) ? expression.text : undefined;
}
