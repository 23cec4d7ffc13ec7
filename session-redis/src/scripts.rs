//! The Lua scripts, one `.lua` file each under `src/lua/`. Every script
//! starts with `prelude.lua`; the two index-reading scripts also with
//! `members.lua`. (A read is no script: see `SessionStore::load` in
//! `store.rs`.)

use std::sync::LazyLock;

use redis::Script;

/// A script's full source, prelude included.
macro_rules! source {
    ($($file:literal),+) => {
        concat!($(include_str!(concat!("lua/", $file))),+)
    };
}

pub(crate) const SAVE_SRC: &str = source!("prelude.lua", "save.lua");
pub(crate) const MOVE_SRC: &str = source!("prelude.lua", "move.lua");
pub(crate) const MOVE_OUT_SRC: &str = source!("prelude.lua", "move_out.lua");
pub(crate) const RESTORE_SRC: &str = source!("prelude.lua", "restore.lua");
pub(crate) const DELETE_SRC: &str = source!("prelude.lua", "delete.lua");
pub(crate) const TOUCH_SRC: &str = source!("prelude.lua", "touch.lua");
pub(crate) const LIST_USER_SRC: &str = source!("prelude.lua", "members.lua", "list_user.lua");
pub(crate) const DELETE_USER_SRC: &str = source!("prelude.lua", "members.lua", "delete_user.lua");

pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| Script::new(SAVE_SRC));
pub(crate) static MOVE: LazyLock<Script> = LazyLock::new(|| Script::new(MOVE_SRC));
pub(crate) static MOVE_OUT: LazyLock<Script> = LazyLock::new(|| Script::new(MOVE_OUT_SRC));
pub(crate) static RESTORE: LazyLock<Script> = LazyLock::new(|| Script::new(RESTORE_SRC));
pub(crate) static DELETE: LazyLock<Script> = LazyLock::new(|| Script::new(DELETE_SRC));
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(TOUCH_SRC));
pub(crate) static LIST_USER: LazyLock<Script> = LazyLock::new(|| Script::new(LIST_USER_SRC));
pub(crate) static DELETE_USER: LazyLock<Script> = LazyLock::new(|| Script::new(DELETE_USER_SRC));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{DATA, FIELDS, LISTED_FIELDS, META_PARTS, USER};

    const ALL: [(&str, &str); 8] = [
        ("save", SAVE_SRC),
        ("move", MOVE_SRC),
        ("move_out", MOVE_OUT_SRC),
        ("restore", RESTORE_SRC),
        ("delete", DELETE_SRC),
        ("touch", TOUCH_SRC),
        ("list_user", LIST_USER_SRC),
        ("delete_user", DELETE_USER_SRC),
    ];

    fn quoted(field: &str) -> String {
        format!("'{field}'")
    }

    #[test]
    fn every_field_the_rust_side_reads_is_spelled_the_same_in_the_scripts() {
        // The prelude writes and checks every field of a row.
        for field in FIELDS {
            assert!(SAVE_SRC.contains(&quoted(field)), "prelude lacks {field}");
        }
        // list_user.lua returns these, in this order, then whether `data` exists.
        let listed = LISTED_FIELDS.map(quoted).join(", ");
        let flat = LIST_USER_SRC
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(&listed), "list_user.lua HMGET {listed}");
        assert!(LIST_USER_SRC.contains(&format!("'HEXISTS', row, '{DATA}'")));
        // `meta` has as many parts in Lua as in Rust.
        let pattern = vec!["(%d+)"; META_PARTS.len()].join(":");
        assert!(SAVE_SRC.contains(&format!("'^{pattern}$'")), "{pattern}");
        // The owner of a row, which delete/touch/move_out unindex by.
        assert!(SAVE_SRC.contains(&format!("'namespace', '{USER}'")));
    }

    #[test]
    fn every_script_starts_with_the_prelude_and_is_distinct() {
        let prelude = include_str!("lua/prelude.lua");
        for (name, source) in ALL {
            assert!(source.starts_with(prelude), "{name}");
        }
        let mut hashes: Vec<&str> = [
            &SAVE,
            &MOVE,
            &MOVE_OUT,
            &RESTORE,
            &DELETE,
            &TOUCH,
            &LIST_USER,
            &DELETE_USER,
        ]
        .iter()
        .map(|script| script.get_hash())
        .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), ALL.len());
    }
}
