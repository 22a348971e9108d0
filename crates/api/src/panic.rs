//! A handler that panics answers 500 like any other internal failure, in its facade's own
//! error format; what the panic said is logged, never shown.

use std::any::Any;

use axum::body::Body;
use axum::response::Response;
use tower_http::catch_panic::{CatchPanicLayer, ResponseForPanic};

/// The layer a facade puts around its routes: a panic becomes `answer()`.
pub fn catch_panics(answer: fn() -> Response) -> CatchPanicLayer<impl ResponseForPanic<ResponseBody = Body>> {
    CatchPanicLayer::custom(move |panic: Box<dyn Any + Send + 'static>| {
        let said = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a non-text panic");
        tracing::error!(panic = said, "a request handler panicked");
        answer()
    })
}
