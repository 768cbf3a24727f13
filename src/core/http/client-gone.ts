// Whether a request's client went away before its answer: Bun aborts the request's signal then (a
// signal first read afterwards is aborted too), sends nothing, and calls no error handler. Such a
// request is counted a 499, as for a node:http request whose client left, and not an error.

export function clientGone(request: Request | undefined): boolean {
  try {
    return request?.signal?.aborted === true;
  } catch {
    return false;
  }
}
