/**
 * A step cell's config form: JupyterLab's own schema form (`FormComponent`, RJSF) generated from
 * the step's config JSON Schema. The form never changes a value the user did not change:
 * - what the form shows is its own state while the user edits: an emptied field stays empty (RJSF
 *   is told not to fill in defaults, and the config coming back from the cell, defaults applied,
 *   is not pushed into the form when it means the same thing);
 * - a number field stores numbers; a field of several types reads what is typed as a literal
 *   (./literal-field.tsx);
 * - valid edits go to `onChange` with emptied fields left out (their defaults apply), and only
 *   when the config, defaults applied, really changed; invalid ones stay in the form with their
 *   messages until they are fixed.
 */
import { FormComponent } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import type { JsonValue } from '../core/errors';
import { jsonEqual, withDefaults } from './codegen';
import {
  configFromForm,
  formSchema,
  formUiSchema,
  hasConfigFields,
  LITERAL_FIELD,
} from './form-schema';
import { LiteralField } from './literal-field';

const validator = customizeValidator<ReadonlyJSONObject>();
const fields = { [LITERAL_FIELD]: LiteralField };
// defaults are the step's business (the code leaves them out); the form must not fill them in
const defaultFormState = { emptyObjectFields: 'skipDefaults' } as const;

/** Props of {@link ConfigForm}. */
export interface IConfigFormProps {
  /** The step's config JSON Schema (as the kernel describes it). */
  schema: Record<string, unknown>;
  /** The config in the cell's metadata (defaults applied). */
  value: Record<string, JsonValue>;
  /** Called with a valid config after an edit (emptied fields left out). */
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
  const uiSchema = React.useMemo(() => formUiSchema(schema), [schema]);
  const formContext = React.useMemo(
    () => ({ defaultFormData: withDefaults({}, props.schema) }),
    [props.schema],
  );
  const [data, setData] = React.useState<Record<string, JsonValue | undefined>>(props.value);
  // the config (defaults applied) the form last sent or was given
  const effective = React.useRef(props.value);
  // the cell's metadata changed elsewhere (code edit, another view, a run): show it
  React.useEffect(() => {
    if (!jsonEqual(props.value, effective.current)) {
      effective.current = props.value;
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
        uiSchema={uiSchema}
        fields={fields}
        formData={data as ReadonlyJSONObject}
        formContext={formContext}
        validator={validator}
        experimental_defaultFormStateBehavior={defaultFormState}
        liveValidate
        showErrorList={false}
        readonly={props.readOnly === true}
        compact
        showModifiedFromDefault
        idPrefix="jp-fancyflow-config"
        onChange={(event) => {
          const formData = (event.formData ?? {}) as Record<string, JsonValue | undefined>;
          setData(formData);
          if (event.errors.length > 0 || props.readOnly) return;
          const config = configFromForm(formData, effective.current, props.schema);
          const next = withDefaults(config, props.schema);
          if (jsonEqual(next, effective.current)) return;
          effective.current = next;
          props.onChange(config);
        }}
      />
    </div>
  );
}
