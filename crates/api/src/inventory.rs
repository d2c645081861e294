//! `POST /api/inventory`: machines pushed over HTTP, in any format `kbgap ingest` reads
//! (systeminfo in any language and encoding, kbgap JSON, osquery results).
//!
//! The same all-or-nothing rule as the command line: the body is parsed whole before the store
//! is touched, and every machine it holds is stored in one transaction, or none is. A body
//! over the configured limit is refused with 413 before it is read to the end.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::request::Parts;
use axum::response::Response;
use kbgap_domain::MachineId;
use kbgap_store::{MachineRecord, Store};

use crate::dto;
use crate::error::{ApiError, ApiErrorKind};
use crate::{AppState, Caller};

/// The largest body accepted when the server sets no other limit.
pub const DEFAULT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The body limit of a server, as a request extension.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub usize);

/// Stores the machines of `body` for `caller`, whose permission the route table checked.
pub(crate) async fn post<S: Store>(
    state: &AppState<S>,
    caller: &Caller,
    base: &str,
    parts: &Parts,
    body: Body,
) -> Result<Response, ApiError> {
    let id = &caller.request_id;
    let limit = parts
        .extensions
        .get::<BodyLimit>()
        .map_or(DEFAULT_BODY_LIMIT, |limit| limit.0);
    if parts.uri.query().is_some_and(|q| !q.is_empty()) {
        return Err(ApiError::bad_request(
            "POST /api/inventory takes no query options",
            id,
        ));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            ApiErrorKind::PayloadTooLarge,
            format!("The inventory is larger than this server accepts ({limit} bytes)"),
            id,
        )
    })?;
    let machines = match kbgap_inventory::parse(&bytes) {
        Ok(kbgap_inventory::Parsed::Machines(machines)) => machines,
        Ok(kbgap_inventory::Parsed::Hotfixes { .. }) => {
            return Err(ApiError::bad_request(
                "The body is a hotfix table without its machine: send the machine's systeminfo, \
                 or a kbgap JSON inventory with its installedKbs",
                id,
            ));
        }
        Err(e) => {
            return Err(ApiError::bad_request(
                format!("The inventory cannot be read: {e}"),
                id,
            ));
        }
    };
    // A caller limited to some device groups writes only machines of those groups.
    if let Some(groups) = &caller.device_groups {
        let outside = machines.iter().find(|m| {
            !m.device_group
                .as_deref()
                .is_some_and(|g| groups.iter().any(|allowed| allowed.eq_ignore_ascii_case(g)))
        });
        if let Some(machine) = outside {
            return Err(ApiError::new(
                ApiErrorKind::Forbidden,
                format!(
                    "Machine {} is not in a device group this caller may write (deviceGroup: {})",
                    machine.host,
                    machine.device_group.as_deref().unwrap_or("none")
                ),
                id,
            ));
        }
    }
    let source = format!("api:{}", caller.principal.app_id);
    let stored = state
        .store
        .ingest(
            machines
                .iter()
                .map(|m| (m.clone(), source.clone()))
                .collect(),
        )
        .await
        .map_err(|e| ApiError::internal(e, id))?;
    // The answer is built from what was sent and what the store says of it, without reading
    // the machines back; a machine sent twice is stored, and shown, as its last copy.
    let sent: HashMap<MachineId, usize> = machines
        .iter()
        .enumerate()
        .map(|(index, m)| (m.id(), index))
        .collect();
    let mut records = Vec::with_capacity(stored.len());
    for ingested in stored {
        tracing::info!(request_id = %id.0, machine = %ingested.id, replaced = ingested.replaced, "ingested");
        let index = *sent
            .get(&ingested.id)
            .ok_or_else(|| ApiError::internal("the store stored a machine it was not sent", id))?;
        records.push(dto::MachineDto::from(&MachineRecord {
            id: ingested.id,
            inventory: machines[index].clone(),
            source: source.clone(),
            last_seen: ingested.last_seen,
        }));
    }
    Ok(dto::collection(base, "Machines", records))
}
