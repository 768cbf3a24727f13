// Shared by the read endpoints: which app a request may read, and its time window.
import { checkedWindow, planWindow, type QueryWindow } from '../../core/query/window.ts';
import { reader } from '../auth/authenticate.ts';
import { APP_ID } from '../../core/app-id.ts';
import { badParameter, notFound } from '../http/errors.ts';
import { intParam } from '../http/params.ts';
import type { RouteContext } from '../http/router.ts';
import { planOptions, readSettings } from '../settings.ts';


/**
 * The `:app` of the path when this key may read it. An app that doesn't exist and one the key
 * may not read get the same 404, so a key learns nothing about other apps.
 */
export async function readableApp({ request, env, params }: RouteContext): Promise<string> {
  const who = await reader(request, env);
  const app = params.app ?? '';
  if (!APP_ID.test(app) || !who.canRead(app)) throw notFound('no such app for this key');
  return app;
}

/**
 * `from`/`to`/`step` for rollup queries: aligned, with a resolution (see planWindow). `perRoute`: the
 * query reads routes (a route table, or a route or method filter), which the 10-second table holds
 * only with TEN_SECOND_ROUTES on.
 */
export function rollupWindow({ url, env }: RouteContext, perRoute: boolean): QueryWindow {
  const request = { from: intParam(url, 'from'), to: intParam(url, 'to'), step: intParam(url, 'step') };
  try {
    return planWindow(request, planOptions(readSettings(env), Date.now(), perRoute));
  } catch (error) {
    if (error instanceof RangeError) throw badParameter(error.message);
    throw error;
  }
}

/**
 * `from`/`to` for raw records, unaligned; default the last hour. Held to the rollup reads' rules
 * (planWindow): a window they refuse, such as `to=1000` whose default `from` lies before the epoch,
 * is refused here too, with the same message.
 */
export function rawWindow({ url }: RouteContext): { from: number; to: number } {
  try {
    return checkedWindow(intParam(url, 'from'), intParam(url, 'to'), Date.now());
  } catch (error) {
    if (error instanceof RangeError) throw badParameter(error.message);
    throw error;
  }
}
