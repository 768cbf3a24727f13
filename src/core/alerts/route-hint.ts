// What a rule's route is likely to mean, when no request of the app has had that route: rules name
// routes as templates (`/items/:id`), and a path typed from a log (`/items/7`) was accepted and
// never fired (an on-call review). A hint, not a refusal: a route may be deployed after its rule.
import { DeclaredTemplates } from '../declared-templates.ts';

/**
 * Undefined when the rule names no route or a route the app has had requests on; else what to check,
 * with the template the path fits as a router would pick it (DeclaredTemplates).
 *
 * @example
 * routeHint('/items/7', ['/items/:id']); // "route '/items/7' … it fits the route '/items/:id' …"
 */
export function routeHint(route: string | undefined, known: Iterable<string>): string | undefined {
  if (route === undefined) return undefined;
  const templates = new DeclaredTemplates();
  for (const template of known) {
    if (template === route) return undefined;
    templates.add(template);
  }
  const shown = (text: string) => `'${text.slice(0, 200)}'`;
  const fits = templates.match(route);
  if (fits !== undefined) {
    return `route ${shown(route)} has had no requests under that name, and it fits the route ${shown(fits)}: a rule names a route as its template, so it does not fire on these`;
  }
  return `route ${shown(route)} has had no requests yet (routes are named by their templates, as the routes table shows them): the rule fires once it has`;
}
