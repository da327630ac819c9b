//! The server as an axum [`Router`] (feature `axum`), to merge into an application's router.

use axum::Router;

use crate::server::handle::ServerHandle;

impl ServerHandle {
    /// A router serving the reliable WebSocket path (`ServerConfig::path`), the health route
    /// (`GET /health/websocket`, when on) and `GET /metrics`, through [`ServerHandle::service`].
    /// Merge it into the application's router (`app.merge(handle.router())`); the
    /// application's layers (auth, tracing) wrap it like any other route, and a
    /// [`crate::auth::Principal`] they insert in the request extensions reaches
    /// [`crate::auth::FromExtensions`].
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let service = self.service();
        let mut router = Router::new()
            .route_service(&self.state.config.path, service.clone())
            .route_service("/metrics", service.clone());
        if self.state.config.health {
            router = router.route_service("/health/websocket", service);
        }
        router
    }
}
