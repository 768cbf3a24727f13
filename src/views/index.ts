// The views both hosts render: the Worker at the edge and PerformanceDashboard in-process.
export { dashboardViews } from './renderer.ts';
export { treeOrder } from './trace-waterfall.tsx';
