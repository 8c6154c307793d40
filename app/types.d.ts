// cytoscape-dagre ships no types; it is a cytoscape extension.
declare module "cytoscape-dagre" {
  const extension: cytoscape.Ext;
  export default extension;
}
