// Cells grouped by their start time (a minute, or an hour for hour cells), with each time's cells
// grouped by route too, built on the first route-filtered read of that time only.
import type { AlertCell } from './alert-data.ts';

export class CellsByTime {
  private readonly byTime = new Map<number, AlertCell[]>();
  private readonly byTimeAndRoute = new Map<number, Map<string, AlertCell[]>>();

  constructor(cells: Iterable<AlertCell> = []) {
    for (const cell of cells) this.add(cell);
  }

  add(cell: AlertCell): void {
    const list = this.byTime.get(cell.minute);
    if (list === undefined) this.byTime.set(cell.minute, [cell]);
    else list.push(cell);
    this.byTimeAndRoute.delete(cell.minute);
  }

  times(): IterableIterator<number> {
    return this.byTime.keys();
  }

  /** The cells starting at `time`, optionally of one route and/or method. */
  at(time: number, route: string | undefined, method: string | undefined): readonly AlertCell[] {
    const candidates = route === undefined ? (this.byTime.get(time) ?? []) : (this.routesAt(time).get(route) ?? []);
    return method === undefined ? candidates : candidates.filter((cell) => cell.method === method);
  }

  private routesAt(time: number): Map<string, AlertCell[]> {
    let routes = this.byTimeAndRoute.get(time);
    if (routes !== undefined) return routes;
    routes = new Map();
    for (const cell of this.byTime.get(time) ?? []) {
      const list = routes.get(cell.route);
      if (list === undefined) routes.set(cell.route, [cell]);
      else list.push(cell);
    }
    this.byTimeAndRoute.set(time, routes);
    return routes;
  }
}
