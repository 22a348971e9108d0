//! OpenAPI schemas the derive cannot state: a request body that is a documented object plus
//! the properties a request must carry.

use utoipa::ToSchema;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};

/// `T`'s schema, and at least one of `alternatives` present in full, each property a string (not
/// `null`): `&[&["name"]]` makes `name` required, `&[&["a"], &["b"]]` requires `a` or `b`.
pub fn requiring<T: ToSchema>(alternatives: &[&[&str]]) -> RefOr<Schema> {
    let required = |names: &[&str]| {
        names
            .iter()
            .fold(ObjectBuilder::new(), |o, n| {
                o.required(*n).property(*n, ObjectBuilder::new().schema_type(Type::String))
            })
            .build()
    };
    let rule: Schema = match alternatives {
        [one] => required(one).into(),
        many => many.iter().fold(AnyOfBuilder::new(), |a, names| a.item(required(names))).build().into(),
    };
    RefOr::T(AllOfBuilder::new().item(Ref::from_schema_name(T::name())).item(rule).build().into())
}

/// A request body schema made with [`requiring`], named `$name` in the document.
#[macro_export]
macro_rules! request_schema {
    ($(#[$doc:meta])* $name:ident = $base:ty, $alternatives:expr) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::schema::requiring::<$base>($alternatives)
            }
        }

        impl utoipa::ToSchema for $name {
            fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
                schemas.push((<$base as utoipa::ToSchema>::name().into(), <$base as utoipa::PartialSchema>::schema()));
                <$base as utoipa::ToSchema>::schemas(schemas);
            }
        }
    };
}
