/**
 * A step cell's config form: JupyterLab's own schema form (`FormComponent`, RJSF) generated from
 * the step's config JSON Schema. Valid edits go to `onChange` (which rewrites the cell's code and
 * metadata); invalid ones stay in the form with their messages until they are fixed.
 */
import { FormComponent } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import type { JsonValue } from '../core/errors';
import { jsonEqual } from './codegen';
import { formSchema, hasConfigFields, pruneFormData } from './form-schema';

const validator = customizeValidator<ReadonlyJSONObject>();

/** Props of {@link ConfigForm}. */
export interface IConfigFormProps {
  /** The step's config JSON Schema (as the kernel describes it). */
  schema: Record<string, unknown>;
  /** The config in the cell's metadata (defaults applied). */
  value: Record<string, JsonValue>;
  /** Called with a valid config after an edit. */
  onChange(config: Record<string, JsonValue>): void;
  /** Shows the values without letting them be edited (custom code). */
  readOnly?: boolean;
}

/**
 * The config form of one step cell.
 *
 * @example
 * <ConfigForm schema={step.config} value={metadata.config} onChange={(c) => flow.setStepConfig(id, c)} />
 */
export function ConfigForm(props: IConfigFormProps): React.ReactElement {
  const schema = React.useMemo(() => formSchema(props.schema), [props.schema]);
  const [data, setData] = React.useState<Record<string, JsonValue>>(props.value);
  const last = React.useRef(props.value);
  // the cell's metadata changed elsewhere (code edit, another view): show it
  React.useEffect(() => {
    if (!jsonEqual(props.value, last.current)) {
      last.current = props.value;
      setData(props.value);
    }
  }, [props.value]);
  if (!hasConfigFields(schema)) {
    return <div className="jp-fancyflow-ConfigForm-empty">This step has no configuration.</div>;
  }
  return (
    <div className="jp-fancyflow-ConfigForm">
      <FormComponent
        schema={schema}
        formData={data as ReadonlyJSONObject}
        validator={validator}
        liveValidate
        showErrorList={false}
        readonly={props.readOnly === true}
        compact
        showModifiedFromDefault
        idPrefix="jp-fancyflow-config"
        onChange={(event) => {
          const next = pruneFormData(
            (event.formData ?? {}) as Record<string, JsonValue>,
            last.current,
            props.schema,
          );
          setData(next);
          if (event.errors.length > 0 || jsonEqual(next, last.current)) return;
          last.current = next;
          props.onChange(next);
        }}
      />
    </div>
  );
}
