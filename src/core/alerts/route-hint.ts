// What a rule's route is likely to mean, when no request of the app has had that route: rules name
// routes as templates (`/items/:id`), and a path typed from a log (`/items/7`) was accepted and
// never fired (an on-call review). A hint, not a refusal: a route may be deployed after its rule.

/** A path's segments against a template's: `:name` takes any one segment, a final `*` the rest. */
function fits(path: string[], template: string[]): boolean {
  for (let i = 0; i < template.length; i++) {
    const part = template[i]!;
    if (part === '*' && i === template.length - 1) return path.length >= template.length - 1;
    if (i >= path.length) return false;
    if (part.startsWith(':') ? path[i] === '' : part !== path[i]) return false;
  }
  return path.length === template.length;
}

/**
 * Undefined when the rule names no route or a route the app has had requests on; else what to check.
 *
 * @example
 * routeHint('/items/7', ['/items/:id']); // "route '/items/7' … it matches the route '/items/:id' …"
 */
export function routeHint(route: string | undefined, known: Iterable<string>): string | undefined {
  if (route === undefined) return undefined;
  const templates = [...known];
  if (templates.includes(route)) return undefined;
  const path = route.split('/');
  const matching = templates.filter((template) => fits(path, template.split('/'))).sort().slice(0, 3);
  const shown = (text: string) => `'${text.slice(0, 200)}'`;
  if (matching.length > 0) {
    return `route ${shown(route)} has had no requests under that name, and it fits the route${matching.length > 1 ? 's' : ''} ${matching.map(shown).join(', ')}: a rule names a route as its template, so it does not fire on these`;
  }
  return `route ${shown(route)} has had no requests yet (routes are named by their templates, as the routes table shows them): the rule fires once it has`;
}
