// Opaque page cursors: the sort key of the last row of a page, so the next page starts after it.

export type CursorKey = [number, number | string];

export function encodeCursor(key: CursorKey): string {
  return btoa(JSON.stringify(key)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The key in a cursor, or null when the text is not a cursor this store made. */
export function decodeCursor(text: string): CursorKey | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(atob(text.replace(/-/g, '+').replace(/_/g, '/')));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0])
      && (Number.isFinite(value[1]) || (typeof value[1] === 'string' && value[1].length <= 64))) {
      return value as CursorKey;
    }
  } catch {
    // Not base64 or not JSON: not ours.
  }
  return null;
}
