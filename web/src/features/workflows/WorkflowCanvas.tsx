import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo } from 'react';
import type { StepStatus, WorkflowSpec } from './api';
import {
  buildGraph,
  layoutPositions,
  NODE_HEIGHT,
  NODE_WIDTH,
  stepKind,
  type Direction,
  type PathError,
  type StepKind,
} from './graph';
import { KIND_LABELS, stepStatusLabel, stepSummary } from './labels';

interface StepNodeData extends Record<string, unknown> {
  index: number;
  stepId: string;
  kind: StepKind | null;
  summary: string;
  status: StepStatus | undefined;
  errors: PathError[];
  cyclic: boolean;
  dangling: string[];
  selected: boolean;
  onSelect: ((index: number) => void) | undefined;
  direction: Direction;
}

type StepNode = Node<StepNodeData, 'step'>;

/** A step on the graph: its kind (the colour), id, what it does, and its status or problems. */
function StepNodeView({ data }: NodeProps<StepNode>) {
  const { index, stepId, kind, summary, status, errors, cyclic, dangling, selected, onSelect, direction } = data;
  const problems = errors.length;
  const classes = [
    'wf-node',
    `wf-kind-${kind ?? 'invalid'}`,
    status ? `wf-status-${status}` : '',
    problems > 0 ? 'has-error' : '',
    cyclic ? 'is-cyclic' : '',
    selected ? 'is-selected' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const name = stepId || `step ${index + 1}`;
  const label = [
    `Step ${name}`,
    kind ? KIND_LABELS[kind] : 'invalid',
    status ? stepStatusLabel(status) : '',
    problems > 0 ? `${problems} ${problems === 1 ? 'problem' : 'problems'}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const body = (
    <>
      <span className="wf-node-head">
        <span className="wf-node-kind">{kind ? KIND_LABELS[kind] : 'Invalid'}</span>
        {status && (
          <span className="wf-node-status" data-testid="wf-node-status">
            {stepStatusLabel(status)}
          </span>
        )}
      </span>
      <span className="wf-node-id">{stepId || <em>no id</em>}</span>
      <span className="wf-node-summary">{summary}</span>
      {(problems > 0 || cyclic || dangling.length > 0) && (
        <span className="wf-node-problems" data-testid="wf-node-problems">
          {problems > 0
            ? `${problems} ${problems === 1 ? 'problem' : 'problems'}`
            : cyclic
              ? 'On a cycle'
              : `No step ${dangling.join(', ')}`}
        </span>
      )}
    </>
  );
  return (
    <div
      className={classes}
      data-testid="wf-node"
      data-step={stepId}
      data-kind={kind ?? 'invalid'}
      data-status={status ?? ''}
      data-invalid={problems > 0 ? 'true' : undefined}
      data-selected={selected ? 'true' : undefined}
    >
      <Handle type="target" position={direction === 'LR' ? Position.Left : Position.Top} isConnectable={false} />
      {onSelect ? (
        <button
          type="button"
          className="wf-node-button nodrag"
          aria-label={label}
          aria-pressed={selected}
          onClick={() => onSelect(index)}
        >
          {body}
        </button>
      ) : (
        <span className="wf-node-button" aria-label={label} role="img">
          {body}
        </span>
      )}
      <Handle type="source" position={direction === 'LR' ? Position.Right : Position.Bottom} isConnectable={false} />
    </div>
  );
}

const NODE_TYPES = { step: StepNodeView };

/** Fits the view to the steps once they are measured, and again when the graph changes shape. */
function AutoFit({ shape }: { shape: string }) {
  const { fitView } = useReactFlow();
  const measured = useNodesInitialized();
  useEffect(() => {
    if (measured) void fitView({ padding: 0.2, maxZoom: 1.1, duration: 150 });
  }, [measured, shape, fitView]);
  return null;
}

export interface WorkflowCanvasProps {
  spec: Pick<WorkflowSpec, 'steps'>;
  /** The accessible name of the graph. */
  label: string;
  /** The selected step's index. */
  selected?: number | null;
  /** Called with a step's index when it is clicked; the steps are not buttons without it. */
  onSelect?: (index: number) => void;
  /** A run's status of each step, by step id. */
  statuses?: ReadonlyMap<string, StepStatus>;
  /** Validation errors, by step index. */
  errors?: ReadonlyMap<number, PathError[]>;
  /** Left to right (wide canvases, the default) or top to bottom (the editor's, beside its panel). */
  direction?: Direction;
}

/**
 * The DAG of a workflow, drawn with React Flow: a node per step coloured by its kind, an
 * edge from each step to the steps that name it (dashed when only through `when`), laid out
 * by dependency depth, left to right or top to bottom. In the editor a step is selected by clicking it; on a
 * run each node shows its status and a running step's incoming edges are animated.
 */
export function WorkflowCanvas({ spec, label, selected = null, onSelect, statuses, errors, direction = 'LR' }: WorkflowCanvasProps) {
  const graph = useMemo(() => buildGraph(spec), [spec]);
  const positions = useMemo(() => layoutPositions(graph.layers, direction), [graph, direction]);

  const nodes: StepNode[] = spec.steps.map((step, index) => {
    const status = statuses?.get(step.id);
    return {
      id: `s${index}`,
      type: 'step',
      position: positions[index] ?? { x: 0, y: 0 },
      data: {
        index,
        stepId: step.id,
        kind: stepKind(step),
        summary: stepSummary(step),
        status,
        errors: errors?.get(index) ?? [],
        cyclic: graph.cyclic.has(index),
        dangling: graph.dangling.get(index) ?? [],
        selected: selected === index,
        onSelect,
        direction,
      },
      // Known before the node is measured, so it shows (and the view fits) at once.
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      draggable: false,
      connectable: false,
      selectable: false,
    };
  });

  const edges: Edge[] = graph.edges.map((edge) => {
    const cycle = graph.cyclic.has(edge.source) && graph.cyclic.has(edge.target);
    const targetStatus = statuses?.get(spec.steps[edge.target]?.id ?? '');
    return {
      id: edge.id,
      source: `s${edge.source}`,
      target: `s${edge.target}`,
      className: ['wf-edge', edge.conditional ? 'wf-edge-when' : '', cycle ? 'wf-edge-cycle' : ''].filter(Boolean).join(' '),
      animated: targetStatus === 'running',
      markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
      ...(edge.conditional ? { label: 'when' } : {}),
      focusable: false,
      selectable: false,
    };
  });

  const shape = `${positions.map((position) => `${position.x},${position.y}`).join(';')}`;
  return (
    <div className="wf-canvas" role="group" aria-label={label} data-testid="wf-canvas">
      {spec.steps.length === 0 ? (
        <p className="wf-canvas-empty muted">No steps yet: add one to start the graph.</p>
      ) : (
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          fitView
          fitViewOptions={{ padding: 0.2, maxZoom: 1.1 }}
          minZoom={0.2}
          maxZoom={1.5}
          nodesDraggable={false}
          nodesConnectable={false}
          nodesFocusable={false}
          edgesFocusable={false}
          elementsSelectable={false}
          zoomOnScroll={false}
          preventScrolling={false}
          colorMode="system"
        >
          <Background gap={20} size={1} />
          <Controls showInteractive={false} />
          <AutoFit shape={shape} />
        </ReactFlow>
      )}
    </div>
  );
}
