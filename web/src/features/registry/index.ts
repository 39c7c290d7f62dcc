/** The model registry's pages without charts: models (/models) and lineage (/lineage).  The
 *  model page (/models/:name) draws drift with uPlot and loads from ./ModelPage on its own. */
export { LineagePage } from "./LineagePage";
export { ModelsPage } from "./ModelsPage";
