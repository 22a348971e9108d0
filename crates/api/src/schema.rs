//! OpenAPI schemas the derive cannot state: a request body that is a documented object plus
//! the properties a request must carry.

use switchboard_domain::text::TextRule;
use utoipa::ToSchema;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, Ref, RefOr};

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

/// States the single-line rule of `domain::text` in the document: every string whose
/// `maxLength` is a single-line kind's (an id, a name, a phone number, …) and that has no pattern,
/// format or enum of its own gets [`TextRule::SINGLE_LINE_PATTERN`]; the fields' own patterns
/// exclude control characters where the field is single-line. Applied to the assembled document.
pub fn document_single_line_text(openapi: &mut OpenApi) {
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(single_line_ref);
    }
    for operation in operations_mut(openapi) {
        for parameter in operation.parameters.iter_mut().flatten() {
            if let RefOr::T(parameter) = parameter {
                parameter.schema.iter_mut().for_each(single_line_ref);
            }
        }
        if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
            for content in body.content.values_mut() {
                if let RefOr::T(content) = content {
                    content.schema.iter_mut().for_each(single_line_ref);
                }
            }
        }
    }
}

/// Every operation of the document, for the passes over the assembled document.
pub(crate) fn operations_mut(openapi: &mut OpenApi) -> impl Iterator<Item = &mut Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    })
}

fn single_line_ref(schema: &mut RefOr<Schema>) {
    if let RefOr::T(schema) = schema {
        single_line(schema);
    }
}

fn single_line(schema: &mut Schema) {
    match schema {
        Schema::Object(o) => {
            let is_string = match &o.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            let kind = o.max_length.and_then(TextRule::of_max);
            if is_string
                && kind.is_some_and(|k| k.single_line)
                && o.pattern.is_none()
                && o.format.is_none()
                && o.enum_values.is_none()
            {
                o.pattern = Some(TextRule::SINGLE_LINE_PATTERN.to_owned());
            }
            o.properties.values_mut().for_each(single_line_ref);
            if let Some(AdditionalProperties::RefOr(extra)) = o.additional_properties.as_deref_mut() {
                single_line_ref(extra);
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                single_line_ref(items);
            }
            a.prefix_items.iter_mut().for_each(single_line);
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(single_line_ref),
        Schema::AllOf(x) => x.items.iter_mut().for_each(single_line_ref),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(single_line_ref),
        _ => {}
    }
}
