/**
 * The config form's field for values of several JSON types (the filter's `value`: a string, a
 * number or a boolean): one text box read as a literal (see ./form-values.ts), with the rule in
 * its help line and the kind of the stored value shown beside it. Replaces RJSF's "choose a type"
 * dropdown, which stored a typed year as the text '1980'.
 */
import type { FieldProps } from '@rjsf/utils';
import * as React from 'react';
import type { JsonValue } from '../core/errors';
import { jsonEqual } from './codegen';
import {
  formatLiteralInput,
  literalHelp,
  literalKindLabel,
  literalKinds,
  parseLiteralInput,
  type LiteralKind,
} from './form-values';

const ANY_KIND: ReadonlySet<LiteralKind> = new Set([
  'string',
  'number',
  'boolean',
  'null',
  'array',
]);

/** A field's value as the JSON it is (RJSF types every field's value as the form's data type). */
function jsonOrUndefined(value: unknown): JsonValue | undefined {
  return value === undefined ? undefined : (value as JsonValue);
}

/** The literal field (registered with the form as `LITERAL_FIELD`). */
export function LiteralField<T>(props: FieldProps<T>): React.ReactElement {
  const { schema, idSchema, disabled, readonly, registry } = props;
  const formData = jsonOrUndefined(props.formData);
  const kinds = React.useMemo(
    () =>
      literalKinds(
        schema as Record<string, unknown>,
        registry.rootSchema as Record<string, unknown>,
      ) ?? ANY_KIND,
    [schema, registry.rootSchema],
  );
  const [text, setText] = React.useState(() => formatLiteralInput(formData, kinds));
  const shown = React.useRef<JsonValue | undefined>(formData);
  // a value set elsewhere (the code, another view): show it; what the user types stays as typed
  React.useEffect(() => {
    if (!jsonEqual(formData, shown.current)) {
      shown.current = formData;
      setText(formatLiteralInput(formData, kinds));
    }
  }, [formData, kinds]);
  const id = idSchema.$id;
  const kind = literalKindLabel(formData);
  return (
    <div className="jp-fancyflow-LiteralField">
      <div className="jp-fancyflow-LiteralField-row">
        <input
          id={id}
          name={id}
          className="form-control"
          type="text"
          value={text}
          disabled={disabled}
          readOnly={readonly}
          placeholder="empty"
          aria-describedby={`${id}__help`}
          onChange={(event) => {
            const next = event.currentTarget.value;
            setText(next);
            const value = parseLiteralInput(next, kinds);
            shown.current = value;
            props.onChange(value as unknown as T | undefined);
          }}
          onBlur={() => props.onBlur(id, shown.current)}
          onFocus={() => props.onFocus(id, shown.current)}
        />
        {kind && (
          <span
            className="jp-fancyflow-LiteralField-kind"
            data-kind={kind}
            title={`Stored as ${kind}`}
          >
            {kind}
          </span>
        )}
      </div>
      <div id={`${id}__help`} className="jp-fancyflow-LiteralField-help">
        {literalHelp(kinds)}
      </div>
    </div>
  );
}
