/**
 * What differs between SQLite and PostgreSQL, in one place: capability flags and a few
 * column definitions (after Kysely's own dialect adapters). Query code asks these; it never
 * tests which database it runs on.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { ChartDatabase } from './schema.js';

export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<ChartDatabase>;
  /** `SELECT … FOR UPDATE` locks rows (PostgreSQL); SQLite serialises writers instead. */
  readonly supportsForUpdate: boolean;
  /** Largest number of bound parameters in one statement. */
  readonly maxParameters: number;
  /** Column type of an auto-increment primary key. */
  readonly autoIncrementType: 'integer' | 'bigint';
  /** Adds auto-increment to a primary key column definition. */
  autoIncrement(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Makes a text column compare bytewise, so prefix ranges use its index. */
  binaryText(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Releases connections and files. */
  close(): Promise<void>;
}
