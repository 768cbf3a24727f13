// The views bound to the handler's renderer interface: what the edge and the middleware pass in.
import type { DashboardRenderer } from '../core/dashboard/renderer.ts';
import { AlertsPanel } from './alerts-panel.tsx';
import { DashboardPage } from './dashboard-page.tsx';
import { LoginPage } from './login-page.tsx';
import { RoutesTable } from './routes-table.tsx';
import { SummaryPanel } from './summary-panel.tsx';
import { TracePage } from './trace-page.tsx';
import { TracesPanel } from './traces-panel.tsx';

export const dashboardViews: DashboardRenderer = {
  page: (ctx, data) => DashboardPage({ ctx, data }),
  summary: (ctx, summary, live) => SummaryPanel({ ctx, summary, live }),
  routes: (ctx, rows, sort) => RoutesTable({ ctx, rows, sort }),
  alerts: (ctx, data) => AlertsPanel({ ctx, alerts: data.alerts, configProblems: data.configProblems }),
  traces: (ctx, traces, filter) => TracesPanel({ ctx, traces, filter }),
  trace: (ctx, traceId, trace) => TracePage({ ctx, traceId, ...trace }),
  login: (ctx, error, next, basic) => LoginPage({ ctx, error, next, basic }),
};
