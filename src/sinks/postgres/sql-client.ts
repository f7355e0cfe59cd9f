/** What the schema and partition code needs of a connection (pg.Client has it; tests may pass their own). */
export interface SqlClient {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}
