/**
 * The tables the PostgreSQL sink writes, as migrations: each table (the flows table, the packets
 * table, the batch ledger) has its own numbered list, and `netmon_schema_version` records which
 * ran. Migrations only ever get appended; a released one is never edited.
 *
 * Flows and packets are range-partitioned by day (UTC) on their time column, so retention drops
 * whole partitions (partitions.ts) and queries over a time range read only its days. Indexes are
 * declared on the parent, so every partition gets them: BRIN on time (tiny, and rows arrive in time
 * order), btree on each address (equality, and `<<=` subnet queries, which the planner turns into
 * btree ranges).
 */

/** One migration of one table: SQL statements run in one transaction with the version row. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

/** Where the schema versions are recorded (one row per table and version that ran). */
export const VERSION_TABLE = 'netmon_schema_version';

/** Batches committed, per writer: what makes a retried batch idempotent (see table-writer.ts). */
export const LEDGER_TABLE = 'netmon_sink_batches';

/** The packets table of a flows table: `_flows` becomes `_packets` (netmon_flows: netmon_packets), else `_packets` is appended. */
export function packetsTableOf(flowsTable: string): string {
  return flowsTable.endsWith('_flows') ? `${flowsTable.slice(0, -'_flows'.length)}_packets` : `${flowsTable}_packets`;
}

/** Columns of the flows table in COPY order (flow-rows.ts writes them in this order). */
export const FLOW_COLUMNS = [
  'first_seen', 'last_seen', 'host', 'interface', 'src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port', 'packets', 'bytes', 'tcp_flags', 'end_reason',
  'tcp_handshake_rtt', 'tcp_retransmissions',
] as const;

/** Columns of the packets table in COPY order (packet-rows.ts). */
export const PACKET_COLUMNS = [
  'ts', 'host', 'interface', 'src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port', 'seq', 'ack', 'tcp_flags', 'window', 'length',
] as const;

export function flowMigrations(t: string): Migration[] {
  return [
    {
      version: 1,
      description: 'flows table, partitioned by day on last_seen',
      statements: [
        `CREATE TABLE IF NOT EXISTS ${t} (
          first_seen timestamptz NOT NULL,
          last_seen timestamptz NOT NULL,
          host text NOT NULL,
          interface text NOT NULL,
          src_ip inet,
          dst_ip inet,
          proto smallint,
          src_port integer,
          dst_port integer,
          packets bigint NOT NULL,
          bytes bigint NOT NULL,
          tcp_flags smallint,
          end_reason text NOT NULL
        ) PARTITION BY RANGE (last_seen)`,
        `CREATE INDEX IF NOT EXISTS ${t}_time ON ${t} USING brin (last_seen, first_seen)`,
        `CREATE INDEX IF NOT EXISTS ${t}_src_ip ON ${t} (src_ip)`,
        `CREATE INDEX IF NOT EXISTS ${t}_dst_ip ON ${t} (dst_ip)`,
      ],
    },
    {
      version: 2,
      description: 'TCP analysis: handshake RTT and retransmissions of each record',
      statements: [
        // On the partitioned parent: every partition, existing or future, gets the columns.
        `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS tcp_handshake_rtt double precision, ADD COLUMN IF NOT EXISTS tcp_retransmissions integer`,
      ],
    },
  ];
}

export function packetMigrations(t: string): Migration[] {
  return [
    {
      version: 1,
      description: 'packets table, partitioned by day on ts',
      statements: [
        `CREATE TABLE IF NOT EXISTS ${t} (
          ts timestamptz NOT NULL,
          host text NOT NULL,
          interface text NOT NULL,
          src_ip inet,
          dst_ip inet,
          proto smallint,
          src_port integer,
          dst_port integer,
          seq bigint,
          ack bigint,
          tcp_flags smallint,
          "window" integer,
          length integer NOT NULL
        ) PARTITION BY RANGE (ts)`,
        `CREATE INDEX IF NOT EXISTS ${t}_time ON ${t} USING brin (ts)`,
        `CREATE INDEX IF NOT EXISTS ${t}_src_ip ON ${t} (src_ip)`,
        `CREATE INDEX IF NOT EXISTS ${t}_dst_ip ON ${t} (dst_ip)`,
      ],
    },
  ];
}

export function ledgerMigrations(): Migration[] {
  return [
    {
      version: 1,
      description: 'batches committed per writer (idempotent retries)',
      statements: [
        `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
          writer uuid NOT NULL,
          batch bigint NOT NULL,
          table_name text NOT NULL,
          rows integer NOT NULL,
          committed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (writer, batch)
        )`,
        `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_committed_at ON ${LEDGER_TABLE} (committed_at)`,
      ],
    },
  ];
}
