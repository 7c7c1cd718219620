/** One versioned step of the PostgreSQL protection schema (the list is in index.ts). */
export interface Migration {
  /** 1, 2, 3, ... without gaps. */
  version: number;
  name: string;
  /** Statements run as one simple query inside the migration transaction. */
  sql: string;
}
