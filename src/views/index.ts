// The views both hosts render: the Worker at the edge and PerformanceDashboard in-process.
export { dashboardViews } from './renderer.ts';
export { sortRoutes } from './routes-table.tsx';
export { treeOrder } from './trace-waterfall.tsx';
