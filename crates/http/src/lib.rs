//! The HTTP layer of the phone numbers service, on `actix-web`: routes, the error envelope
//! of SPEC §5, and the server start-up used by the `api` binary.
//!
//! At this stage it serves the operational endpoints: `GET /healthz` (the process is up)
//! and `GET /readyz` (the database answers).

mod error;
pub mod routes;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App as ActixApp, HttpServer, web};
use numbers_app::App;

pub use error::{ApiError, ErrorBody};

/// How long readiness waits for the database before answering 503.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Registers every route on an actix `App`; the application state is added by the caller.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(routes::health::healthz)
        .service(routes::health::readyz);
}

/// Starts serving `app` on an already bound listener and returns the running server.
/// Awaiting it runs until a shutdown signal (SIGINT/SIGTERM), after which in-flight requests
/// get up to 30 seconds to finish.
///
/// # Errors
/// An I/O error when the listener cannot be used.
pub fn serve(app: App, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(app);
    let server =
        HttpServer::new(move || ActixApp::new().app_data(state.clone()).configure(configure))
            .shutdown_timeout(30)
            .listen(listener)?
            .run();
    Ok(server)
}
