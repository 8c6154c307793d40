/**
 * The flow map: you -> the categories of your data -> the services they reached -> the
 * organisations that run them, drawn with cytoscape from the summarised flows. A category ->
 * service arrow is drawn calmly when every use was allowed and marked when some use was not.
 * Client-only: cytoscape needs a DOM, so it is imported inside an effect and never runs on the
 * server. The flows table beside it carries the same facts for screen readers and no-JS readers.
 */
import type { Core, ElementDefinition } from "cytoscape";
import { useEffect, useRef, useState } from "react";

export interface FlowMapGraph {
  categories: { key: string; label: string }[];
  services: { id: number; name: string; organisation: string | null }[];
  /** One per (category, service); `unlawful` when some use had no legal basis or was blocked. */
  links: { category: string; serviceId: number; unlawful: boolean }[];
}

interface FlowMapProps {
  youLabel: string;
  graph: FlowMapGraph;
  loadingLabel: string;
  description: string;
}

const MIN_HEIGHT_PX = 360;
const ROW_HEIGHT_PX = 56;

export function flowMapElements(youLabel: string, graph: FlowMapGraph): ElementDefinition[] {
  const organisations = [
    ...new Set(graph.services.map((s) => s.organisation).filter((o) => o !== null)),
  ];
  return [
    { data: { id: "you", label: youLabel }, classes: "you" },
    ...graph.categories.map((c) => ({
      data: { id: `category:${c.key}`, label: c.label },
      classes: "category",
    })),
    ...graph.services.map((s) => ({
      data: { id: `service:${s.id}`, label: s.name },
      classes: "service",
    })),
    ...organisations.map((name) => ({
      data: { id: `org:${name}`, label: name },
      classes: "organisation",
    })),
    ...graph.categories.map((c) => ({
      data: { id: `gave:${c.key}`, source: "you", target: `category:${c.key}` },
      classes: "gave",
    })),
    ...graph.links.map((l) => ({
      data: {
        id: `flow:${l.category}:${l.serviceId}`,
        source: `category:${l.category}`,
        target: `service:${l.serviceId}`,
      },
      classes: l.unlawful ? "flow unlawful" : "flow",
    })),
    ...graph.services.flatMap((s) =>
      s.organisation
        ? [
            {
              data: {
                id: `runs:${s.id}`,
                source: `service:${s.id}`,
                target: `org:${s.organisation}`,
              },
              classes: "runs",
            },
          ]
        : [],
    ),
  ];
}

export function FlowMap({ youLabel, graph, loadingLabel, description }: FlowMapProps) {
  const container = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  // Redraw only when what is drawn changes, not on every render of the page.
  const elementsJson = JSON.stringify(flowMapElements(youLabel, graph));

  useEffect(() => {
    let cy: Core | undefined;
    let cancelled = false;
    (async () => {
      const [{ default: cytoscape }, { default: dagre }] = await Promise.all([
        import("cytoscape"),
        import("cytoscape-dagre"),
      ]);
      if (cancelled || !container.current) return;
      cytoscape.use(dagre);
      cy = cytoscape({
        container: container.current,
        elements: JSON.parse(elementsJson) as ElementDefinition[],
        autoungrabify: false,
        userZoomingEnabled: false,
        maxZoom: 1.5, // a two-service map should not fill the screen with giant boxes
        boxSelectionEnabled: false,
        style: [
          {
            selector: "node",
            style: {
              label: "data(label)",
              "text-valign": "center",
              "text-halign": "center",
              "font-size": 14,
              "font-family": "system-ui, sans-serif",
              shape: "round-rectangle",
              width: "label",
              height: 34,
              padding: "10px",
              "background-color": "#ffffff",
              "border-width": 2,
              "border-color": "#3d5a80",
              color: "#1b263b",
            },
          },
          {
            selector: "node.you",
            style: {
              "background-color": "#3d5a80",
              color: "#ffffff",
              shape: "ellipse",
              "border-width": 0,
            },
          },
          {
            selector: "node.category",
            style: {
              shape: "round-rectangle",
              "background-color": "#fde8e2",
              "border-color": "#ee6c4d",
              color: "#6b3a2c",
            },
          },
          {
            selector: "node.organisation",
            style: {
              shape: "rectangle",
              "font-weight": "bold",
              "background-color": "#eef3f8",
              "border-color": "#98c1d9",
              "border-style": "dashed",
              color: "#3d5a80",
            },
          },
          {
            selector: "edge",
            style: {
              width: 2,
              "curve-style": "bezier",
              "target-arrow-shape": "triangle",
              "line-color": "#3d5a80",
              "target-arrow-color": "#3d5a80",
            },
          },
          {
            selector: "edge.gave",
            style: { "line-color": "#ee6c4d", "target-arrow-color": "#ee6c4d" },
          },
          {
            selector: "edge.unlawful",
            style: {
              width: 3,
              "line-style": "dashed",
              "line-color": "#b42318",
              "target-arrow-color": "#b42318",
            },
          },
          {
            selector: "edge.runs",
            style: {
              width: 1.5,
              "line-style": "dotted",
              "line-color": "#98c1d9",
              "target-arrow-shape": "none",
            },
          },
        ],
        layout: {
          name: "dagre",
          rankDir: "LR",
          nodeSep: 20,
          rankSep: 70,
        } as cytoscape.LayoutOptions,
      });
      setReady(true);
    })();
    return () => {
      cancelled = true;
      cy?.destroy();
    };
  }, [elementsJson]);

  // Tall enough that a long column of services stays legible instead of being zoomed out.
  const rows = Math.max(graph.categories.length, graph.services.length);
  const height = Math.max(MIN_HEIGHT_PX, rows * ROW_HEIGHT_PX);
  return (
    <figure className="flow-map">
      <div
        ref={container}
        className="flow-map-canvas"
        style={{ height }}
        data-testid="flow-map"
        data-ready={ready ? "true" : "false"}
        role="img"
        aria-label={description}
      />
      {ready ? null : <p className="flow-map-loading">{loadingLabel}</p>}
      <figcaption>{description}</figcaption>
    </figure>
  );
}
