// The views both hosts render: the Worker at the edge and PerformanceDashboard in-process.
export { ALL_FEATURES, type DashboardFeatures, type ViewContext } from './context.ts';
export { DashboardPage, type DashboardPageData } from './dashboard-page.tsx';
export { SummaryPanel } from './summary-panel.tsx';
export { RoutesTable, ROUTE_SORTS, sortRoutes, type RouteSort } from './routes-table.tsx';
export { AlertsPanel } from './alerts-panel.tsx';
export { TracesPanel } from './traces-panel.tsx';
export { TracePage } from './trace-page.tsx';
export { LoginPage } from './login-page.tsx';
