//! The HTTP surface: connections served by hyper (`server`), the JSON API, the browser app's
//! files, and what every request and response passes through (the hosts and origins served,
//! security headers, errors as responses).

pub(crate) mod api;
pub(crate) mod error;
pub(crate) mod origin;
pub(crate) mod security_headers;
pub(crate) mod served_hosts;
pub(crate) mod server;
pub mod static_files;
