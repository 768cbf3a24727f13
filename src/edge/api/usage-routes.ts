// The cost model in the export API (read keys): what an app cost per day, per instance, against
// the plan (`GET /api/v1/apps/:app/usage?days=7`), and today summed over the key's apps
// (`GET /api/v1/usage`), the figure the plan's daily quotas apply to.
import { appReader } from '../app-reader.ts';
import { reader } from '../auth/authenticate.ts';
import { json } from '../http/errors.ts';
import { checkQuery, intParam } from '../http/params.ts';
import type { Route } from '../http/router.ts';
import { callStore } from '../store-errors.ts';
import { accountUsage } from '../usage/account-usage.ts';
import { readableApp } from './access.ts';

export const usageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/apps/:app/usage',
    handler: async (context) => {
      const app = await readableApp(context);
      const days = intParam(context.url, 'days', { min: 1, max: 40 }) ?? 7;
      return json(await callStore(app, () => appReader(context.env, app).usageReport(days)));
    },
  },
  {
    method: 'GET',
    path: '/api/v1/usage',
    handler: async ({ request, env, url }) => {
      const { apps } = await reader(request, env);
      checkQuery(url);
      return json(await callStore(apps.join(','), () => accountUsage(env, apps)));
    },
  },
];
