//! A backend-neutral description of the schema actually in the database, used to check that
//! the PostgreSQL and SQLite migrations describe the same logical model.

use std::collections::BTreeSet;

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl as _;

use crate::Store;
use crate::error::StoreResult;
use crate::store::with_conn;

/// One column: table, name and whether it accepts NULL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// One uniqueness rule: a primary key or a unique index or constraint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UniqueRule {
    /// Table name.
    pub table: String,
    /// The columns, sorted.
    pub columns: Vec<String>,
    /// True for the primary key.
    pub primary: bool,
    /// True when the rule only covers rows matching a predicate (a partial index).
    pub partial: bool,
}

/// The logical schema: what both backends must agree on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogicalSchema {
    /// Every column of every table.
    pub columns: BTreeSet<ColumnInfo>,
    /// Every uniqueness rule.
    pub unique_rules: BTreeSet<UniqueRule>,
}

impl LogicalSchema {
    /// The table names.
    #[must_use]
    pub fn tables(&self) -> BTreeSet<&str> {
        self.columns.iter().map(|c| c.table.as_str()).collect()
    }
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    is_primary: bool,
    #[diesel(sql_type = Bool)]
    is_partial: bool,
}

const PG_COLUMNS: &str = "
    SELECT table_name::text AS table_name, column_name::text AS column_name,
           (is_nullable = 'YES') AS nullable
    FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'";

const PG_UNIQUE: &str = "
    SELECT t.relname::text AS table_name, ix.relname::text AS index_name,
           a.attname::text AS column_name, i.indisprimary AS is_primary,
           (i.indpred IS NOT NULL) AS is_partial
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_class ix ON ix.oid = i.indexrelid
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
    WHERE i.indisunique
      AND t.relnamespace = 'public'::regnamespace
      AND t.relname <> '__diesel_schema_migrations'";

const SQLITE_COLUMNS: &str = "
    SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 0) AS nullable
    FROM sqlite_master m JOIN pragma_table_info(m.name) p
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
      AND m.name <> '__diesel_schema_migrations'";

const SQLITE_UNIQUE: &str = "
    SELECT m.name AS table_name, il.name AS index_name, ii.name AS column_name,
           (il.origin = 'pk') AS is_primary, (il.partial = 1) AS is_partial
    FROM sqlite_master m
    JOIN pragma_index_list(m.name) il
    JOIN pragma_index_info(il.name) ii
    WHERE m.type = 'table' AND il.\"unique\" = 1 AND m.name NOT LIKE 'sqlite_%'
      AND m.name <> '__diesel_schema_migrations'";

impl Store {
    /// Reads the tables, columns, nullability and uniqueness rules actually present.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn describe_schema(&self) -> StoreResult<LogicalSchema> {
        self.detached(|store| async move {
            let (columns, indexes): (Vec<ColumnRow>, Vec<IndexRow>) = with_conn!(store, |conn| {
                let (columns_sql, unique_sql) = match store.backend() {
                    crate::Backend::Postgres => (PG_COLUMNS, PG_UNIQUE),
                    crate::Backend::Sqlite => (SQLITE_COLUMNS, SQLITE_UNIQUE),
                };
                (
                    diesel::sql_query(columns_sql).load(conn).await?,
                    diesel::sql_query(unique_sql).load(conn).await?,
                )
            });
            Ok(assemble(columns, indexes))
        })
        .await
    }
}

fn assemble(columns: Vec<ColumnRow>, indexes: Vec<IndexRow>) -> LogicalSchema {
    let mut schema = LogicalSchema::default();
    for row in columns {
        schema.columns.insert(ColumnInfo {
            table: row.table_name,
            column: row.column_name,
            nullable: row.nullable,
        });
    }
    // One row per (index, column): group them back into one rule per index.
    let mut by_index: std::collections::BTreeMap<(String, String), UniqueRule> =
        std::collections::BTreeMap::new();
    for row in indexes {
        let rule = by_index
            .entry((row.table_name.clone(), row.index_name))
            .or_insert_with(|| UniqueRule {
                table: row.table_name,
                columns: Vec::new(),
                primary: row.is_primary,
                partial: row.is_partial,
            });
        rule.columns.push(row.column_name);
    }
    for mut rule in by_index.into_values() {
        rule.columns.sort();
        schema.unique_rules.insert(rule);
    }
    schema
}
