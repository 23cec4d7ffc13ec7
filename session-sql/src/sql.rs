//! The statements both stores run, written once and rendered for each
//! database at construction.
//!
//! Only the (validated, quoted) table, schema and index names are written
//! into the text; every value is a bind parameter. Statements are written
//! with `$n` placeholders; SQLite's rendering turns them into `?n` (numbered
//! parameters in both, so one bind order serves both).

use crate::config::Identifier;

/// Columns of a [`Record`](session_core::store::Record), in the order
/// [`crate::row`] reads them.
pub(crate) const RECORD_COLUMNS: &str = "namespace, user_id, schema_version, data, revision, \
     created_at, touched_at, expires_at, client_addr, user_agent, fingerprint";

/// The columns added since the first schema, each nullable (so a table
/// created before holds `NULL` there, and reads as no metadata), in the
/// order `migrate` adds them, with their type (`BLOB` is `BYTEA` on
/// PostgreSQL).
pub(crate) const ADDED_COLUMNS: [(&str, &str); 3] = [
    ("client_addr", "TEXT"),
    ("user_agent", "TEXT"),
    ("fingerprint", "BLOB"),
];

/// The database a statement set is rendered for. Public in name only (it
/// is not reachable from outside the crate), as the type of a
/// [`Driver`](crate::backend::Driver) constant must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite,
}

/// Every statement a store runs, rendered for one table. Public in name
/// only, as the statements of an [`Inner`](crate::shared::Inner) must be.
#[derive(Debug)]
pub struct Statements {
    /// The DDL `migrate` runs first (several statements): the table as this
    /// version creates it, and its indexes.
    pub(crate) migration: String,
    /// `ALTER TABLE … ADD COLUMN` for each of [`ADDED_COLUMNS`], in order
    /// (`migrate` runs those the table lacks).
    pub(crate) add_columns: Vec<(&'static str, String)>,
    /// The table's column names, given [`columns_args`](Self::columns_args).
    pub(crate) columns: String,
    /// The bind values of [`columns`](Self::columns): PostgreSQL: the
    /// qualified, quoted name (resolved as the DDL resolves it); SQLite: the
    /// table's name, then its schema (attached database) if configured.
    pub(crate) columns_args: Vec<String>,
    /// `$1` key, `$2` now → one record row or none.
    pub(crate) load: String,
    /// `$1` key, `$2..=$12` the record, `$13` now: creates the row, or
    /// replaces an expired one. One row affected means written.
    pub(crate) create: String,
    /// `$1` key, `$2..=$12` the record, `$13` expected revision, `$14` now.
    pub(crate) update: String,
    /// `$1` key.
    pub(crate) delete: String,
    /// `$1` key, `$2` touched_at, `$3` expires_at, `$4` now.
    pub(crate) touch: String,
    /// `$1` namespace, `$2` user, `$3` now → `store_key, created_at,
    /// touched_at, expires_at, client_addr, user_agent, fingerprint`.
    pub(crate) list_user: String,
    /// `$1` namespace, `$2` user.
    pub(crate) delete_user: String,
    /// `$1` namespace, `$2` user, `$3` the key to keep.
    pub(crate) delete_user_keeping: String,
    /// `$1` key, `$2` now → the live row's revision (locked on PostgreSQL
    /// until the transaction ends).
    pub(crate) revision_for_move: String,
    /// `$1` now, `$2` batch size: deletes up to that many expired rows.
    pub(crate) delete_expired_batch: String,
}

impl Statements {
    pub(crate) fn new(dialect: Dialect, schema: Option<&Identifier>, table: &Identifier) -> Self {
        let place = Placement::new(dialect, schema, table);
        let t = &place.qualified;
        let (lock_row, skip_locked) = match dialect {
            // Locks the row read for a move against a concurrent save, and
            // lets several instances' cleanups work on different rows.
            Dialect::Postgres => (" FOR UPDATE", " FOR UPDATE SKIP LOCKED"),
            // SQLite has one writer at a time: a write transaction is
            // already exclusive.
            Dialect::Sqlite => ("", ""),
        };
        let set_all = "namespace = $2, user_id = $3, schema_version = $4, data = $5, \
                       revision = $6, created_at = $7, touched_at = $8, expires_at = $9, \
                       client_addr = $10, user_agent = $11, fingerprint = $12";
        let set_excluded = "namespace = excluded.namespace, user_id = excluded.user_id, \
             schema_version = excluded.schema_version, data = excluded.data, \
             revision = excluded.revision, created_at = excluded.created_at, \
             touched_at = excluded.touched_at, expires_at = excluded.expires_at, \
             client_addr = excluded.client_addr, user_agent = excluded.user_agent, \
             fingerprint = excluded.fingerprint";
        let (columns, columns_args) = match dialect {
            Dialect::Postgres => (
                "SELECT attname::text FROM pg_attribute \
                 WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped"
                    .to_owned(),
                vec![t.clone()],
            ),
            Dialect::Sqlite => match schema {
                Some(schema) => (
                    "SELECT name FROM pragma_table_info($1, $2)".to_owned(),
                    vec![table.as_str().to_owned(), schema.as_str().to_owned()],
                ),
                None => (
                    "SELECT name FROM pragma_table_info($1)".to_owned(),
                    vec![table.as_str().to_owned()],
                ),
            },
        };
        let statements = Statements {
            migration: migration(&place),
            add_columns: ADDED_COLUMNS
                .iter()
                .map(|(column, kind)| {
                    let kind = match (dialect, *kind) {
                        (Dialect::Postgres, "BLOB") => "BYTEA",
                        (_, kind) => kind,
                    };
                    (
                        *column,
                        format!("ALTER TABLE {t} ADD COLUMN {column} {kind}"),
                    )
                })
                .collect(),
            columns,
            columns_args,
            load: format!(
                "SELECT {RECORD_COLUMNS} FROM {t} WHERE store_key = $1 AND expires_at > $2"
            ),
            create: format!(
                "INSERT INTO {t} AS s (store_key, {RECORD_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (store_key) DO UPDATE SET {set_excluded} \
                 WHERE s.expires_at <= $13"
            ),
            update: format!(
                "UPDATE {t} SET {set_all} \
                 WHERE store_key = $1 AND revision = $13 AND expires_at > $14"
            ),
            delete: format!("DELETE FROM {t} WHERE store_key = $1"),
            touch: format!(
                "UPDATE {t} SET touched_at = $2, expires_at = $3 \
                 WHERE store_key = $1 AND expires_at > $4"
            ),
            list_user: format!(
                "SELECT store_key, created_at, touched_at, expires_at, client_addr, user_agent, \
                 fingerprint FROM {t} \
                 WHERE namespace = $1 AND user_id = $2 AND expires_at > $3 \
                 ORDER BY created_at, store_key"
            ),
            delete_user: format!("DELETE FROM {t} WHERE namespace = $1 AND user_id = $2"),
            delete_user_keeping: format!(
                "DELETE FROM {t} WHERE namespace = $1 AND user_id = $2 AND store_key <> $3"
            ),
            revision_for_move: format!(
                "SELECT revision FROM {t} WHERE store_key = $1 AND expires_at > $2{lock_row}"
            ),
            // The outer condition is checked again on the row as it is when
            // deleted, so a row touched meanwhile survives.
            delete_expired_batch: format!(
                "DELETE FROM {t} WHERE store_key IN \
                 (SELECT store_key FROM {t} WHERE expires_at <= $1 \
                 ORDER BY expires_at LIMIT $2{skip_locked}) \
                 AND expires_at <= $1"
            ),
        };
        match dialect {
            Dialect::Postgres => statements,
            Dialect::Sqlite => statements.numbered_with_question_marks(),
        }
    }

    /// `$n` → `?n` in every statement but the DDL (which has no parameters).
    fn numbered_with_question_marks(self) -> Self {
        let q = with_question_marks;
        Statements {
            migration: self.migration,
            add_columns: self.add_columns,
            columns: q(self.columns),
            columns_args: self.columns_args,
            load: q(self.load),
            create: q(self.create),
            update: q(self.update),
            delete: q(self.delete),
            touch: q(self.touch),
            list_user: q(self.list_user),
            delete_user: q(self.delete_user),
            delete_user_keeping: q(self.delete_user_keeping),
            revision_for_move: q(self.revision_for_move),
            delete_expired_batch: q(self.delete_expired_batch),
        }
    }
}

/// `$n` → `?n`: SQLite's numbered parameters, for a statement written with
/// PostgreSQL's (no statement holds a `$` anywhere else).
pub(crate) fn with_question_marks(sql: String) -> String {
    sql.replace('$', "?")
}

/// Where a table's DDL puts the table and its indexes, on one database: the
/// names both the store's and the revocation feed's migrations write.
pub(crate) struct Placement<'a> {
    dialect: Dialect,
    schema: Option<&'a Identifier>,
    table: &'a Identifier,
    /// The table's name in statements: quoted, schema-qualified if
    /// configured.
    pub(crate) qualified: String,
}

impl<'a> Placement<'a> {
    /// The places of `table`, in `schema` if configured, on `dialect`.
    pub(crate) fn new(
        dialect: Dialect,
        schema: Option<&'a Identifier>,
        table: &'a Identifier,
    ) -> Self {
        let qualified = match schema {
            Some(schema) => format!("{}.{}", schema.quoted(), table.quoted()),
            None => table.quoted(),
        };
        Placement {
            dialect,
            schema,
            table,
            qualified,
        }
    }

    /// The database the DDL is for.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// What the DDL runs first: on PostgreSQL, the configured schema's
    /// `CREATE SCHEMA IF NOT EXISTS`; otherwise nothing.
    pub(crate) fn create_schema(&self) -> String {
        match (self.dialect, self.schema) {
            (Dialect::Postgres, Some(schema)) => {
                format!("CREATE SCHEMA IF NOT EXISTS {};\n", schema.quoted())
            }
            _ => String::new(),
        }
    }

    /// `CREATE INDEX IF NOT EXISTS` of the table's index `suffix` (named as
    /// [`Identifier::derived`] names it) on `columns` (and what follows
    /// them).
    pub(crate) fn create_index(&self, suffix: &str, columns: &str) -> String {
        let index = self.table.derived(suffix);
        // PostgreSQL puts an index in its table's schema; SQLite names the
        // index's database on the index and not on the table.
        let (index, on_table) = match (self.dialect, self.schema) {
            (Dialect::Sqlite, Some(schema)) => {
                (format!("{}.{index}", schema.quoted()), self.table.quoted())
            }
            _ => (index, self.qualified.clone()),
        };
        format!("CREATE INDEX IF NOT EXISTS {index} ON {on_table} {columns};\n")
    }
}

/// The table and its indexes. The `CHECK`s admit exactly the rows a
/// [`Record`](session_core::store::Record) can be read from, so that a row
/// the store would read as absent cannot also block a new session's insert.
/// The metadata columns need none: a value there never makes a row
/// unreadable (one that does not decode reads as unknown). They come last,
/// where `ADD COLUMN` puts them in a table created before they existed.
fn migration(place: &Placement<'_>) -> String {
    let (blob, integer, key_length, table_options) = match place.dialect() {
        Dialect::Postgres => ("BYTEA", "BIGINT", "octet_length", ""),
        // The 32-byte key is the row's identity: store rows clustered on it.
        // STRICT makes SQLite enforce the column types, as PostgreSQL does.
        Dialect::Sqlite => ("BLOB", "INTEGER", "length", " WITHOUT ROWID, STRICT"),
    };
    let create_schema = place.create_schema();
    let qualified = &place.qualified;
    let user_index =
        place.create_index("user_idx", "(namespace, user_id) WHERE user_id IS NOT NULL");
    let expires_index = place.create_index("expires_idx", "(expires_at)");
    format!(
        "{create_schema}\
CREATE TABLE IF NOT EXISTS {qualified} (
    store_key      {blob} PRIMARY KEY,
    namespace      TEXT NOT NULL,
    user_id        TEXT,
    schema_version {integer} NOT NULL,
    data           {blob} NOT NULL,
    revision       {integer} NOT NULL,
    created_at     {integer} NOT NULL,
    touched_at     {integer} NOT NULL,
    expires_at     {integer} NOT NULL,
    client_addr    TEXT,
    user_agent     TEXT,
    fingerprint    {blob},
    CHECK ({key_length}(store_key) = 32),
    CHECK (schema_version BETWEEN 0 AND 4294967295),
    CHECK (created_at >= 0 AND touched_at >= 0 AND expires_at >= 0)
){table_options};
{user_index}{expires_index}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_table as ident;

    #[test]
    fn sqlite_statements_use_numbered_question_marks() {
        let sql = Statements::new(Dialect::Sqlite, None, &ident("s"));
        assert!(sql.update.contains("revision = ?13 AND expires_at > ?14"));
        assert_eq!(sql.columns, "SELECT name FROM pragma_table_info(?1)");
        assert_eq!(sql.columns_args, ["s"]);
        assert_eq!(
            sql.add_columns,
            [
                (
                    "client_addr",
                    "ALTER TABLE \"s\" ADD COLUMN client_addr TEXT".to_owned()
                ),
                (
                    "user_agent",
                    "ALTER TABLE \"s\" ADD COLUMN user_agent TEXT".to_owned()
                ),
                (
                    "fingerprint",
                    "ALTER TABLE \"s\" ADD COLUMN fingerprint BLOB".to_owned()
                ),
            ]
        );
        let attached = Statements::new(Dialect::Sqlite, Some(&ident("aux")), &ident("s"));
        assert_eq!(
            attached.columns,
            "SELECT name FROM pragma_table_info(?1, ?2)"
        );
        assert_eq!(attached.columns_args, ["s", "aux"]);
        assert!(!sql.update.contains('$'));
        assert!(!sql.revision_for_move.contains("FOR UPDATE"));
        assert!(sql.migration.contains("WITHOUT ROWID, STRICT"));
        assert!(sql.migration.contains("CHECK (length(store_key) = 32)"));
    }

    #[test]
    fn postgres_statements_qualify_the_table_and_lock_moved_rows() {
        let sql = Statements::new(Dialect::Postgres, Some(&ident("auth")), &ident("s"));
        assert!(sql.load.contains("FROM \"auth\".\"s\" WHERE"));
        assert_eq!(sql.columns_args, ["\"auth\".\"s\""]);
        assert!(sql.columns.contains("attrelid = $1::text::regclass"));
        assert_eq!(
            sql.add_columns[1].1,
            "ALTER TABLE \"auth\".\"s\" ADD COLUMN user_agent TEXT"
        );
        assert_eq!(
            sql.add_columns[2].1,
            "ALTER TABLE \"auth\".\"s\" ADD COLUMN fingerprint BYTEA"
        );
        assert!(sql.revision_for_move.ends_with("FOR UPDATE"));
        assert!(
            sql.delete_expired_batch
                .contains("ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED"),
            "every cleanup statement is bounded"
        );
        assert!(
            sql.migration
                .starts_with("CREATE SCHEMA IF NOT EXISTS \"auth\";")
        );
        assert!(
            sql.migration
                .contains("\"s_user_idx\" ON \"auth\".\"s\" (namespace, user_id)")
        );
    }

    /// The index names in `table`'s migration, unquoted.
    fn index_names(table: &str) -> Vec<String> {
        Statements::new(Dialect::Postgres, None, &ident(table))
            .migration
            .lines()
            .filter_map(|line| line.strip_prefix("CREATE INDEX IF NOT EXISTS \""))
            .filter_map(|rest| rest.split_once('"'))
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    #[test]
    fn long_tables_with_a_common_prefix_get_distinct_index_names() {
        let prefix = "a".repeat(54);
        let one = format!("{prefix}_one_x");
        let two = format!("{prefix}_two_x");
        assert_eq!((one.len(), two.len()), (60, 60));
        let (one, two) = (index_names(&one), index_names(&two));
        assert_eq!((one.len(), two.len()), (2, 2), "{one:?} {two:?}");
        for name in one.iter().chain(&two) {
            assert!(name.len() <= 63, "{name}: {} bytes", name.len());
            assert!(name.starts_with(&"a".repeat(42)), "readable: {name}");
        }
        for index in one.iter().chain(&two) {
            let same = one.iter().chain(&two).filter(|n| *n == index).count();
            assert_eq!(same, 1, "{index} names one index only");
        }
    }

    #[test]
    fn index_names_that_fit_are_unchanged_and_long_ones_are_pinned() {
        // Existing indexes keep their names: the table name and the suffix,
        // up to 63 bytes.
        assert_eq!(index_names("s"), ["s_user_idx", "s_expires_idx"]);
        let longest = "b".repeat(54);
        assert_eq!(index_names(&longest)[0], format!("{longest}_user_idx"));
        assert_eq!(
            index_names(&"b".repeat(51))[1],
            format!("{}_expires_idx", "b".repeat(51))
        );
        // Past that, prefix, hash, suffix: these exact names are what
        // databases hold, so the hash must never change (`130da7e9` is the
        // 32-bit FNV-1a of the table name, as published).
        let table = format!("sessions_{}", "z".repeat(51));
        assert_eq!(
            index_names(&table),
            [
                format!("sessions_{}_130da7e9_user_idx", "z".repeat(36)),
                format!("sessions_{}_130da7e9_expires_idx", "z".repeat(33)),
            ]
        );
        for name in index_names(&table) {
            assert_eq!(name.len(), 63, "{name}");
        }
    }
}
