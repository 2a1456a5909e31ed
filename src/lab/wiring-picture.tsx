/**
 * The small picture of the workflow's wiring: a dot per step (coloured by status) and an arc per
 * wired input, from {@link layoutWiring}.
 */
import * as React from 'react';
import type { StepView } from './workflow-model';
import { layoutWiring } from './wiring-layout';

/** Props of {@link WiringPicture}. */
export interface IWiringPictureProps {
  steps: StepView[];
  /** Labels of outside cells (cell id → label). */
  cellLabels?: ReadonlyMap<string, string>;
  onSelect?(stepId: string): void;
}

/** The wiring as SVG. */
export function WiringPicture(props: IWiringPictureProps): React.ReactElement | null {
  const { steps } = props;
  const layout = React.useMemo(
    () =>
      layoutWiring(
        steps.map((s) => ({
          id: s.step.id,
          label: s.step.name ?? s.step.title ?? s.step.slug,
          wiring: s.step.wiring,
        })),
        { cellLabels: props.cellLabels },
      ),
    [steps, props.cellLabels],
  );
  if (steps.length === 0) return null;
  const status = new Map(steps.map((s) => [s.step.id, s.status]));
  return (
    <svg
      className="jp-fancyflow-WiringPicture"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label="Which cell feeds which"
    >
      {layout.edges.map((e) => (
        <path
          key={`${e.from}-${e.to}-${e.argument}`}
          className="jp-fancyflow-WiringPicture-edge"
          d={e.d}
        >
          <title>{`${e.argument} ← ${e.from}`}</title>
        </path>
      ))}
      {layout.nodes.map((n) => (
        <g
          key={n.id}
          className="jp-fancyflow-WiringPicture-node"
          data-kind={n.kind}
          data-status={status.get(n.id) ?? 'cell'}
          onClick={() => n.kind === 'step' && props.onSelect?.(n.id)}
        >
          <circle cx={n.x} cy={n.y} r={n.kind === 'step' ? 5 : 4} />
          <text x={n.x + 10} y={n.y + 4}>
            {n.label}
          </text>
        </g>
      ))}
    </svg>
  );
}
