// Stored rows a read could not decode (written by an older version, or damaged): left out of the
// answer and counted in its `warnings`, so one bad row never turns an app's reads into errors.

export interface Warnings {
  /** Present only when something was left out. */
  warnings?: string[];
}

export class UnreadableRows {
  count = 0;
  private first = '';

  /** Notes one row left out: its table, id and what is wrong with it. */
  note(table: string, id: unknown, problem: string): void {
    if (this.count === 0) this.first = `${table} row ${String(id)}: ${problem}`;
    this.count++;
  }

  /** `{ warnings: [...] }` when rows were left out, else `{}`: spread into an answer. */
  warnings(): Warnings {
    if (this.count === 0) return {};
    const rows = this.count === 1 ? '1 stored row' : `${this.count} stored rows`;
    return { warnings: [`${rows} could not be read and ${this.count === 1 ? 'was' : 'were'} left out (first: ${this.first.slice(0, 200)})`] };
  }
}
