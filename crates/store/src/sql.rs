//! One statement, run on whichever backend a connection is: its text (written once, with `$N`
//! placeholders, which both drivers read) and its values, bound and fetched in one place so that
//! errors are mapped to the domain once.

use std::borrow::Cow;

use sqlx::postgres::PgRow;
use sqlx::query::{Query, QueryAs};
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, AssertSqlSafe, Database, Encode, FromRow, IntoArguments, Type};
use switchboard_domain::{Result, Timestamp};

use crate::table::Record;
use crate::{Backend, Conn, ConnRef, Keyset, db_err, dialect, to_json};

/// Expands `$body` once per backend with `$c` bound to that backend's connection, so code
/// written once type-checks and runs on both.
macro_rules! run {
    ($ex:expr, |$c:ident| $body:expr) => {
        match Conn::conn(&mut *$ex) {
            ConnRef::Sqlite($c) => $body,
            ConnRef::Postgres($c) => $body,
        }
    };
}

/// A value bound to a statement: the few column types the schema uses. Text is borrowed where
/// the caller has it and owned where it is made for the statement (JSON), so that neither is
/// copied on its way to the driver.
pub(crate) enum Value<'a> {
    Text(Option<Cow<'a, str>>),
    BigInt(Option<i64>),
    Int(Option<i32>),
    Bool(bool),
}

/// `From` impls for [`Value`]: `type => |v| value`.
macro_rules! value_from {
    ($($t:ty => |$v:ident| $value:expr),+ $(,)?) => {$(
        impl<'a> From<$t> for Value<'a> {
            fn from($v: $t) -> Self {
                $value
            }
        }
    )+};
}

value_from! {
    &'a str => |v| Value::Text(Some(Cow::Borrowed(v))),
    &'a String => |v| Value::Text(Some(Cow::Borrowed(v))),
    String => |v| Value::Text(Some(Cow::Owned(v))),
    Option<&'a str> => |v| Value::Text(v.map(Cow::Borrowed)),
    Option<String> => |v| Value::Text(v.map(Cow::Owned)),
    i64 => |v| Value::BigInt(Some(v)),
    Option<i64> => |v| Value::BigInt(v),
    i32 => |v| Value::Int(Some(v)),
    Option<i32> => |v| Value::Int(v),
    bool => |v| Value::Bool(v),
    Timestamp => |v| Value::BigInt(Some(v.as_micros())),
    Option<Timestamp> => |v| Value::BigInt(v.map(Timestamp::as_micros)),
}

/// A row type either backend can decode.
pub(crate) trait FromRows: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> FromRows for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A statement and its values, run on any [`Conn`] (a transaction or a reader).
pub(crate) struct Sql<'a> {
    text: Cow<'static, str>,
    values: Vec<Value<'a>>,
    for_update: bool,
}

impl<'a> Sql<'a> {
    pub(crate) fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Self { text: text.into(), values: Vec::new(), for_update: false }
    }

    /// A statement derived from `R`'s table (see [`crate::table::Table`]), with the records' values.
    fn of<R: Record>(text: impl Into<Cow<'static, str>>, records: &'a [R]) -> Result<Self> {
        let values = Vec::with_capacity(records.len() * R::table().width());
        let mut sql = Self { text: text.into(), values, for_update: false };
        for r in records {
            r.values(&mut sql)?;
        }
        Ok(sql)
    }

    /// `INSERT` of the record.
    pub(crate) fn insert<R: Record>(record: &'a R) -> Result<Self> {
        Self::of(R::table().insert(), std::slice::from_ref(record))
    }

    /// One multi-row `INSERT` of all the records.
    pub(crate) fn insert_many<R: Record>(records: &'a [R]) -> Result<Self> {
        Self::of(R::table().insert_rows(records.len()), records)
    }

    /// `UPDATE` of the record's row: its `Set` columns, found by its `Key` columns.
    pub(crate) fn update<R: Record>(record: &'a R) -> Result<Self> {
        Self::of(R::table().update(), std::slice::from_ref(record))
    }

    /// `INSERT` of the record or, when a row has its key already, `UPDATE` of its `Set` columns.
    pub(crate) fn upsert<R: Record>(record: &'a R) -> Result<Self> {
        Self::of(R::table().upsert(), std::slice::from_ref(record))
    }

    /// Appends to the statement text (a condition, a conflict clause, a `RETURNING` list).
    pub(crate) fn append(mut self, text: &str) -> Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Ends a `WHERE` with a page of rows newest first, after `after` (keyset paging, which an
    /// index on `(…, created_at, id)` serves), binding its values after those bound so far.
    pub(crate) fn page_after(self, after: &'a Keyset, limit: i64) -> Self {
        let n = self.values.len() + 1;
        let page = format!(
            " AND (created_at < ${n} OR (created_at = ${n} AND id < ${})) ORDER BY created_at DESC, id DESC LIMIT ${}",
            n + 1,
            n + 2
        );
        self.append(&page).bind(after.created_at).bind(&after.id).bind(limit)
    }

    /// Continues a `WHERE` with "`column` is one of `items`", bound as one value whatever their
    /// number (see [`dialect::in_json_list`]).
    pub(crate) fn and_in(self, backend: Backend, column: &str, items: &[&str]) -> Result<Self> {
        let n = self.values.len() + 1;
        let listed = format!(" AND {}", dialect::in_json_list(backend, column, n));
        Ok(self.append(&listed).bind(to_json(&items)?))
    }

    pub(crate) fn bind(mut self, v: impl Into<Value<'a>>) -> Self {
        self.push(v);
        self
    }

    pub(crate) fn push(&mut self, v: impl Into<Value<'a>>) {
        self.values.push(v.into());
    }

    /// Locks the rows read until the transaction ends, where the backend needs it (see
    /// [`dialect::for_update`]).
    pub(crate) fn for_update(mut self) -> Self {
        self.for_update = true;
        self
    }

    fn finish(mut self, c: &impl Conn) -> (Text, Vec<Value<'a>>) {
        if self.for_update {
            self.text.to_mut().push_str(dialect::for_update(c.backend()));
        }
        // The text is made of the store's own statements and fragments; values are always bound.
        (AssertSqlSafe(self.text), self.values)
    }

    /// Runs the statement; returns the number of rows it changed.
    pub(crate) async fn execute(self, c: &mut impl Conn) -> Result<u64> {
        let (text, values) = self.finish(c);
        run!(c, |c| query(text, values)?.execute(&mut *c).await.map(|r| r.rows_affected()).map_err(db_err))
    }

    pub(crate) async fn fetch_all<R: FromRows>(self, c: &mut impl Conn) -> Result<Vec<R>> {
        let (text, values) = self.finish(c);
        run!(c, |c| query_as(text, values)?.fetch_all(&mut *c).await.map_err(db_err))
    }

    pub(crate) async fn fetch_optional<R: FromRows>(self, c: &mut impl Conn) -> Result<Option<R>> {
        let (text, values) = self.finish(c);
        run!(c, |c| query_as(text, values)?.fetch_optional(&mut *c).await.map_err(db_err))
    }

    pub(crate) async fn fetch_one<R: FromRows>(self, c: &mut impl Conn) -> Result<R> {
        let (text, values) = self.finish(c);
        run!(c, |c| query_as(text, values)?.fetch_one(&mut *c).await.map_err(db_err))
    }

    /// The row, if there is one, made a domain value by `value`.
    pub(crate) async fn get<R: FromRows, T>(
        self,
        c: &mut impl Conn,
        value: impl FnOnce(R) -> Result<T>,
    ) -> Result<Option<T>> {
        self.fetch_optional(c).await?.map(value).transpose()
    }

    /// The rows, each made a domain value by `value`.
    pub(crate) async fn list<R: FromRows, T>(
        self,
        c: &mut impl Conn,
        value: impl FnMut(R) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.fetch_all(c).await?.into_iter().map(value).collect()
    }

    /// The first column of each row.
    pub(crate) async fn scalars<T>(self, c: &mut impl Conn) -> Result<Vec<T>>
    where
        (T,): FromRows,
    {
        Ok(self.fetch_all::<(T,)>(c).await?.into_iter().map(|(v,)| v).collect())
    }

    /// The first column of the row, if there is one.
    pub(crate) async fn scalar_optional<T>(self, c: &mut impl Conn) -> Result<Option<T>>
    where
        (T,): FromRows,
    {
        Ok(self.fetch_optional::<(T,)>(c).await?.map(|(v,)| v))
    }

    /// The first column of the one row the statement returns.
    pub(crate) async fn scalar<T>(self, c: &mut impl Conn) -> Result<T>
    where
        (T,): FromRows,
    {
        Ok(self.fetch_one::<(T,)>(c).await?.0)
    }
}

/// A statement text as the drivers take it.
type Text = AssertSqlSafe<Cow<'static, str>>;

/// A driver that binds every kind of [`Value`]: both of ours.
trait Binds<'a>: Database<Arguments: IntoArguments<Self>> {
    fn arguments(values: Vec<Value<'a>>) -> Result<Self::Arguments, sqlx::Error>;
}

impl<'a, DB: Database<Arguments: IntoArguments<DB>>> Binds<'a> for DB
where
    Option<Cow<'a, str>>: Encode<'a, DB> + Type<DB>,
    Option<i64>: Encode<'a, DB> + Type<DB>,
    Option<i32>: Encode<'a, DB> + Type<DB>,
    bool: Encode<'a, DB> + Type<DB>,
{
    fn arguments(values: Vec<Value<'a>>) -> Result<DB::Arguments, sqlx::Error> {
        let mut args = DB::Arguments::default();
        args.reserve(values.len(), 0);
        for v in values {
            match v {
                Value::Text(v) => args.add(v),
                Value::BigInt(v) => args.add(v),
                Value::Int(v) => args.add(v),
                Value::Bool(v) => args.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }
}

// The driver is named by the query type these return, so that each arm of [`run!`] infers it
// from its connection.
fn query<'a, DB: Binds<'a>>(text: Text, values: Vec<Value<'a>>) -> Result<Query<'a, DB, DB::Arguments>> {
    Ok(sqlx::query_with(text, DB::arguments(values).map_err(db_err)?))
}

fn query_as<'a, DB: Binds<'a>, R>(text: Text, values: Vec<Value<'a>>) -> Result<QueryAs<'a, DB, R, DB::Arguments>>
where
    R: for<'r> FromRow<'r, DB::Row>,
{
    Ok(sqlx::query_as_with(text, DB::arguments(values).map_err(db_err)?))
}
