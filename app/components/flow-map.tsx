/**
 * The flow map: you -> services, grouped by organisation, drawn with cytoscape. Client-only:
 * cytoscape needs a DOM, so it is imported inside an effect and never runs on the server. The
 * services table beside it carries the same facts for screen readers and for no-JS readers.
 */
import type { Core, ElementDefinition } from "cytoscape";
import { useEffect, useRef, useState } from "react";

export interface FlowMapService {
  id: number;
  name: string;
  organisation: string | null;
}
export interface FlowMapHop {
  from: number | null;
  to: number;
  label: string;
}

interface FlowMapProps {
  youLabel: string;
  services: FlowMapService[];
  hops: FlowMapHop[];
  loadingLabel: string;
  description: string;
}

export function flowMapElements(
  youLabel: string,
  services: FlowMapService[],
  hops: FlowMapHop[],
): ElementDefinition[] {
  const organisations = [...new Set(services.map((s) => s.organisation).filter((o) => o !== null))];
  return [
    { data: { id: "you", label: youLabel }, classes: "you" },
    ...organisations.map((name) => ({
      data: { id: `org:${name}`, label: name },
      classes: "organisation",
    })),
    ...services.map((s) => ({
      data: {
        id: `service:${s.id}`,
        label: s.name,
        ...(s.organisation ? { parent: `org:${s.organisation}` } : {}),
      },
      classes: "service",
    })),
    ...hops.map((h) => ({
      data: {
        id: `hop:${h.from ?? "you"}:${h.to}`,
        source: h.from === null ? "you" : `service:${h.from}`,
        target: `service:${h.to}`,
        label: h.label,
      },
    })),
  ];
}

export function FlowMap({ youLabel, services, hops, loadingLabel, description }: FlowMapProps) {
  const container = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  // Redraw only when what is drawn changes, not on every render of the page.
  const elementsJson = JSON.stringify(flowMapElements(youLabel, services, hops));

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
            selector: "node.organisation",
            style: {
              "text-valign": "top",
              "text-halign": "center",
              "font-weight": "bold",
              "background-color": "#eef3f8",
              "border-color": "#98c1d9",
              "border-style": "dashed",
              color: "#3d5a80",
              padding: "18px",
            },
          },
          {
            selector: "edge",
            style: {
              width: 2,
              "curve-style": "bezier",
              "target-arrow-shape": "triangle",
              "line-color": "#ee6c4d",
              "target-arrow-color": "#ee6c4d",
              label: "data(label)",
              "font-size": 12,
              "text-background-color": "#ffffff",
              "text-background-opacity": 1,
              "text-rotation": "autorotate",
              color: "#6b3a2c",
            },
          },
        ],
        layout: {
          name: "dagre",
          rankDir: "LR",
          nodeSep: 30,
          rankSep: 90,
        } as cytoscape.LayoutOptions,
      });
      setReady(true);
    })();
    return () => {
      cancelled = true;
      cy?.destroy();
    };
  }, [elementsJson]);

  return (
    <figure className="flow-map">
      <div
        ref={container}
        className="flow-map-canvas"
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
