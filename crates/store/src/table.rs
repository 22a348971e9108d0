//! Each table's columns, written once with how a record gives each one's value (the [`table!`]
//! macro); the SELECT list and the INSERT, UPDATE and upsert statements are derived from them,
//! so a new column is one line.

use std::fmt::Write;
use std::sync::OnceLock;

use switchboard_domain::{CompanyId, Result};

use crate::sql::Sql;

/// A row of a company by its id: ids are unique on their own, the company keeps one company's
/// caller off another's rows.
const ONE: &str = "WHERE company_id = $1 AND id = $2";

/// What the derived statements do with a column.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Finds the row: the `WHERE` of the UPDATE and the conflict target of the upsert.
    Key,
    /// Written by the INSERT only.
    Fixed,
    /// Written by the INSERT and rewritten by the UPDATE and the upsert.
    Set,
}

pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) role: Role,
}

/// A table's columns, in the order a [`Record`] gives their values, and the statements derived
/// from them (made once, on first use).
pub(crate) struct Table {
    name: &'static str,
    columns: &'static [Column],
    list: OnceLock<String>,
    insert: OnceLock<String>,
    update: OnceLock<String>,
    upsert: OnceLock<String>,
}

/// A value written as a row of its table, one value per column in the table's order.
pub(crate) trait Record {
    fn table() -> &'static Table;
    fn values<'a>(&'a self, sql: &mut Sql<'a>) -> Result<()>;
}

/// `static $table: Table` of the columns listed, each `Role name: value`, and the [`Record`]
/// impl of `$record` that gives the values (`$r` names the record in the value expressions,
/// which may use `?`).
macro_rules! table {
    ($table:ident = $name:literal, $record:ty as |$r:ident| { $($role:ident $column:ident: $value:expr),+ $(,)? }) => {
        static $table: $crate::table::Table = $crate::table::Table::new(
            $name,
            &[$($crate::table::Column { name: stringify!($column), role: $crate::table::Role::$role }),+],
        );

        impl $crate::table::Record for $record {
            fn table() -> &'static $crate::table::Table {
                &$table
            }

            fn values<'a>(&'a self, sql: &mut $crate::sql::Sql<'a>) -> switchboard_domain::Result<()> {
                let $r = self;
                $(sql.push($value);)+
                Ok(())
            }
        }
    };
}
pub(crate) use table;

impl Table {
    pub(crate) const fn new(name: &'static str, columns: &'static [Column]) -> Self {
        Self {
            name,
            columns,
            list: OnceLock::new(),
            insert: OnceLock::new(),
            update: OnceLock::new(),
            upsert: OnceLock::new(),
        }
    }

    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }

    /// The columns, comma-separated: a SELECT or RETURNING list.
    pub(crate) fn columns(&'static self) -> &'static str {
        self.list.get_or_init(|| self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", "))
    }

    /// `SELECT` of the columns, followed by `rest` (`WHERE …`).
    pub(crate) fn select<'a>(&'static self, rest: &str) -> Sql<'a> {
        Sql::new(format!("SELECT {} FROM {} {rest}", self.columns(), self.name))
    }

    /// `SELECT` of the company's row with this id.
    pub(crate) fn one<'a>(&'static self, company: &'a CompanyId, id: &'a str) -> Sql<'a> {
        self.select(ONE).bind(company.as_str()).bind(id)
    }

    /// `DELETE` of the company's row with this id.
    pub(crate) fn delete_one<'a>(&'static self, company: &'a CompanyId, id: &'a str) -> Sql<'a> {
        Sql::new(format!("DELETE FROM {} {ONE}", self.name)).bind(company.as_str()).bind(id)
    }

    pub(crate) fn insert(&'static self) -> &'static str {
        self.insert.get_or_init(|| self.insert_rows(1))
    }

    /// An INSERT of `rows` rows, numbering their values row after row.
    pub(crate) fn insert_rows(&'static self, rows: usize) -> String {
        let width = self.width();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.name, self.columns());
        sql.reserve(rows * width * 8);
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for k in 1..=width {
                let sep = if k == 1 { "" } else { ", " };
                let _ = write!(sql, "{sep}${}", row * width + k);
            }
            sql.push(')');
        }
        sql
    }

    pub(crate) fn update(&'static self) -> &'static str {
        self.update.get_or_init(|| {
            let set = self.each(Role::Set, |c, n| format!("{c} = ${n}"));
            let key = self.each(Role::Key, |c, n| format!("{c} = ${n}"));
            format!("UPDATE {} SET {} WHERE {}", self.name, set.join(", "), key.join(" AND "))
        })
    }

    pub(crate) fn upsert(&'static self) -> &'static str {
        self.upsert.get_or_init(|| {
            let key = self.each(Role::Key, |c, _| c.to_owned()).join(", ");
            let set = self.each(Role::Set, |c, _| format!("{c} = excluded.{c}"));
            format!("{} ON CONFLICT ({key}) DO UPDATE SET {}", self.insert(), set.join(", "))
        })
    }

    /// `f(column, its parameter number)` for each column of `role`. Every statement binds all
    /// the record's values, so a column's parameter is its position whatever the statement uses.
    fn each(&self, role: Role, f: impl Fn(&str, usize) -> String) -> Vec<String> {
        (self.columns.iter().enumerate()).filter(|(_, c)| c.role == role).map(|(i, c)| f(c.name, i + 1)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Column, Role, Table};

    static T: Table = Table::new(
        "t",
        &[
            Column { name: "id", role: Role::Key },
            Column { name: "a", role: Role::Fixed },
            Column { name: "b", role: Role::Set },
            Column { name: "c", role: Role::Set },
        ],
    );

    #[test]
    fn statements_are_derived_from_the_columns_and_their_roles() {
        assert_eq!(T.columns(), "id, a, b, c");
        assert_eq!(T.insert(), "INSERT INTO t (id, a, b, c) VALUES ($1, $2, $3, $4)");
        assert_eq!(T.insert_rows(2), "INSERT INTO t (id, a, b, c) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)");
        assert_eq!(T.update(), "UPDATE t SET b = $3, c = $4 WHERE id = $1");
        assert_eq!(
            T.upsert(),
            "INSERT INTO t (id, a, b, c) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET b = excluded.b, c = excluded.c"
        );
    }
}
