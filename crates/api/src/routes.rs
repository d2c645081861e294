//! The route table: every path kbgap answers under `/api`, with its method, the permissions it
//! requires, the query options it takes, what it returns and a one-line summary.
//!
//! Dispatch finds a request's route in [`ROUTES`], and `/api/openapi.json` is generated from
//! the same table (`openapi.rs`), so the published description cannot list a route the
//! server does not answer, nor miss one it does, nor state other permissions than the ones
//! enforced. Paths match as Defender's do: segments case-insensitively, with or without a
//! leading `v1.0`, and function segments also in their namespace-qualified form
//! (`microsoft.windowsDefenderATP.api.GetMissingKbs`).

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kbgap_domain::{Kb, MachineId, SoftwareId};
use kbgap_store::odata::FieldDef;
use kbgap_store::{
    DeviceGroups, MACHINE_FIELDS, SOFTWARE_FIELDS, Store, StoreError, VULNERABILITY_FIELDS,
};

use crate::scope::Scope;
use crate::{
    ApiError, AppState, Caller, RequestId, SERVER_PAGE_SIZE, base_url, dto, json_response,
    metadata, odata, openapi,
};

/// Defender's permissions, application form first (mde-api.md §2-4). A ReadWrite permission
/// implies its Read (`Principal::has_any`).
pub(crate) const SOFTWARE_READ: &[&str] = &["Software.Read.All", "Software.Read"];
pub(crate) const MACHINE_READ: &[&str] = &["Machine.Read.All", "Machine.Read"];
pub(crate) const VULNERABILITY_READ: &[&str] = &["Vulnerability.Read.All", "Vulnerability.Read"];
/// Writing machines: reading alone is not enough.
pub(crate) const MACHINE_WRITE: &[&str] = &["Machine.ReadWrite.All", "Machine.ReadWrite"];
/// The service documents: readable without a token, as an OData client fetches them first.
const PUBLIC: &[&str] = &[];

/// What answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    SoftwareList,
    Software,
    SoftwareMissingKbs,
    SoftwareDistributions,
    SoftwareMachineReferences,
    SoftwareVulnerabilities,
    MachineList,
    Machine,
    MachineSoftware,
    MachineVulnerabilities,
    MachineMissingKbs,
    MachineExplain,
    VulnerabilityList,
    Vulnerability,
    VulnerabilityMachineReferences,
    Metadata,
    OpenApi,
    InventoryUpload,
}

/// The query options a route accepts; any other is a 400 `ODataError`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Options {
    None,
    /// `$filter`, `$select`, `$top`, `$skip`, `$count` over these properties.
    List(&'static [FieldDef]),
    /// kbgap's `asOf=YYYY-MM-DD`: evaluate against the catalog as it stood that day.
    AsOf,
}

/// The body of a 200 answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Returns {
    /// `{"@odata.context": "<base>/api/$metadata#<context>", "value": [<type>...]}`.
    Collection {
        context: &'static str,
        ty: &'static str,
    },
    /// The entity's properties and its `@odata.context`.
    Entity {
        context: &'static str,
        ty: &'static str,
    },
    /// `kbgap explain --json`'s object.
    Explanation,
    /// The CSDL document (XML).
    Metadata,
    /// The OpenAPI document.
    OpenApi,
}

pub(crate) struct Route {
    pub method: Method,
    /// Below `/api`; `{name}` is a parameter.
    pub path: &'static str,
    /// One of these is required; empty for the public service documents.
    pub permissions: &'static [&'static str],
    pub options: Options,
    pub returns: Returns,
    pub handler: Handler,
    pub summary: &'static str,
}

const MACHINE: &str = "microsoft.windowsDefenderATP.api.Machine";
const SOFTWARE: &str = "microsoft.windowsDefenderATP.api.Software";
const VULNERABILITY: &str = "microsoft.windowsDefenderATP.api.Vulnerability";
const PUBLIC_VULNERABILITY: &str = "Analytics.Contracts.PublicAPI.PublicVulnerabilityDto";
const PRODUCT_FIX: &str = "microsoft.windowsDefenderATP.api.PublicProductFixDto";
const MACHINE_REFERENCE: &str = "microsoft.windowsDefenderATP.api.MachineReference";
const DISTRIBUTION: &str = "microsoft.windowsDefenderATP.api.PublicDistributionDto";

pub(crate) static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/Software",
        permissions: SOFTWARE_READ,
        options: Options::List(SOFTWARE_FIELDS),
        returns: Returns::Collection {
            context: "Software",
            ty: SOFTWARE,
        },
        handler: Handler::SoftwareList,
        summary: "List the software installed on at least one machine",
    },
    Route {
        method: Method::GET,
        path: "/Software/{id}",
        permissions: SOFTWARE_READ,
        options: Options::None,
        returns: Returns::Entity {
            context: "Software/$entity",
            ty: SOFTWARE,
        },
        handler: Handler::Software,
        summary: "Get a software by id",
    },
    Route {
        method: Method::GET,
        path: "/Software/{id}/getmissingkbs",
        permissions: SOFTWARE_READ,
        options: Options::AsOf,
        returns: Returns::Collection {
            context: dto::FIX_COLLECTION,
            ty: PRODUCT_FIX,
        },
        handler: Handler::SoftwareMissingKbs,
        summary: "Missing KBs of a software across the fleet",
    },
    Route {
        method: Method::GET,
        path: "/Software/{id}/distributions",
        permissions: SOFTWARE_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: "Distributions",
            ty: DISTRIBUTION,
        },
        handler: Handler::SoftwareDistributions,
        summary: "Versions of a software and the machines running each",
    },
    Route {
        method: Method::GET,
        path: "/Software/{id}/machineReferences",
        permissions: SOFTWARE_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: "MachineReferences",
            ty: MACHINE_REFERENCE,
        },
        handler: Handler::SoftwareMachineReferences,
        summary: "Machines running a software",
    },
    Route {
        method: Method::GET,
        path: "/Software/{id}/vulnerabilities",
        permissions: VULNERABILITY_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: dto::VULNERABILITY_COLLECTION,
            ty: PUBLIC_VULNERABILITY,
        },
        handler: Handler::SoftwareVulnerabilities,
        summary: "Vulnerabilities of a software open on at least one machine",
    },
    Route {
        method: Method::GET,
        path: "/machines",
        permissions: MACHINE_READ,
        options: Options::List(MACHINE_FIELDS),
        returns: Returns::Collection {
            context: "Machines",
            ty: MACHINE,
        },
        handler: Handler::MachineList,
        summary: "List machines",
    },
    Route {
        method: Method::GET,
        path: "/machines/{id}",
        permissions: MACHINE_READ,
        options: Options::None,
        returns: Returns::Entity {
            context: "Machines/$entity",
            ty: MACHINE,
        },
        handler: Handler::Machine,
        summary: "Get a machine by id or computer name",
    },
    Route {
        method: Method::GET,
        path: "/machines/{id}/software",
        permissions: SOFTWARE_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: "Software",
            ty: SOFTWARE,
        },
        handler: Handler::MachineSoftware,
        summary: "Software a machine runs",
    },
    Route {
        method: Method::GET,
        path: "/machines/{id}/vulnerabilities",
        permissions: VULNERABILITY_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: dto::VULNERABILITY_COLLECTION,
            ty: PUBLIC_VULNERABILITY,
        },
        handler: Handler::MachineVulnerabilities,
        summary: "Vulnerabilities open on a machine",
    },
    Route {
        method: Method::GET,
        path: "/machines/{id}/getmissingkbs",
        permissions: SOFTWARE_READ,
        options: Options::AsOf,
        returns: Returns::Collection {
            context: dto::FIX_COLLECTION,
            ty: PRODUCT_FIX,
        },
        handler: Handler::MachineMissingKbs,
        summary: "Missing KBs of a machine",
    },
    Route {
        method: Method::GET,
        path: "/machines/{id}/getmissingkbs/{kb}/explain",
        permissions: SOFTWARE_READ,
        options: Options::AsOf,
        returns: Returns::Explanation,
        handler: Handler::MachineExplain,
        summary: "Why a KB is, or is not, reported for a machine",
    },
    Route {
        method: Method::GET,
        path: "/vulnerabilities",
        permissions: VULNERABILITY_READ,
        options: Options::List(VULNERABILITY_FIELDS),
        returns: Returns::Collection {
            context: "Vulnerabilities",
            ty: VULNERABILITY,
        },
        handler: Handler::VulnerabilityList,
        summary: "List the vulnerabilities (CVEs) of the catalog",
    },
    Route {
        method: Method::GET,
        path: "/vulnerabilities/{id}",
        permissions: VULNERABILITY_READ,
        options: Options::None,
        returns: Returns::Entity {
            context: "Vulnerabilities/$entity",
            ty: VULNERABILITY,
        },
        handler: Handler::Vulnerability,
        summary: "Get a vulnerability by CVE id",
    },
    Route {
        method: Method::GET,
        path: "/vulnerabilities/{id}/machineReferences",
        permissions: VULNERABILITY_READ,
        options: Options::None,
        returns: Returns::Collection {
            context: "MachineReferences",
            ty: MACHINE_REFERENCE,
        },
        handler: Handler::VulnerabilityMachineReferences,
        summary: "Machines on which a vulnerability is open",
    },
    Route {
        method: Method::GET,
        path: "/$metadata",
        permissions: PUBLIC,
        options: Options::None,
        returns: Returns::Metadata,
        handler: Handler::Metadata,
        summary: "The OData CSDL of the types the answers name",
    },
    Route {
        method: Method::GET,
        path: "/openapi.json",
        permissions: PUBLIC,
        options: Options::None,
        returns: Returns::OpenApi,
        handler: Handler::OpenApi,
        summary: "This API's OpenAPI 3.0 description",
    },
    Route {
        method: Method::POST,
        path: "/inventory",
        permissions: MACHINE_WRITE,
        options: Options::None,
        returns: Returns::Collection {
            context: "Machines",
            ty: MACHINE,
        },
        handler: Handler::InventoryUpload,
        summary: "Store the machines of one inventory (systeminfo, kbgap JSON, osquery results), all or nothing",
    },
];

/// The namespace function names may be qualified with.
const NAMESPACE: &str = "microsoft.windowsdefenderatp.api.";

fn literal_matches(pattern: &str, segment: &str) -> bool {
    if segment.eq_ignore_ascii_case(pattern) {
        return true;
    }
    let qualified = segment.len() > NAMESPACE.len()
        && segment.is_char_boundary(NAMESPACE.len())
        && segment[..NAMESPACE.len()].eq_ignore_ascii_case(NAMESPACE);
    qualified && segment[NAMESPACE.len()..].eq_ignore_ascii_case(pattern)
}

/// The route `method path` (path below `/api`) names, and its parameters in order.
pub(crate) fn find(method: &Method, path: &str) -> Option<(&'static Route, Vec<String>)> {
    let segments = segments(path);
    let route = route_of(method, &segments)?;
    let params = pattern(route)
        .zip(&segments)
        .filter(|(p, _)| p.starts_with('{'))
        .map(|(_, s)| s.to_string())
        .collect();
    Some((route, params))
}

/// The segments of a path below `/api`, without a leading `v1.0`.
fn segments(path: &str) -> Vec<&str> {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("v1.0"))
    {
        segments.remove(0);
    }
    segments
}

fn pattern(route: &Route) -> impl Iterator<Item = &'static str> + Clone {
    route.path.split('/').filter(|s| !s.is_empty())
}

/// Nothing is allocated per route tried: the getmissingkbs calls are the hot path.
fn route_of(method: &Method, segments: &[&str]) -> Option<&'static Route> {
    ROUTES.iter().find(|route| {
        let pattern = pattern(route);
        route.method == *method
            && pattern.clone().count() == segments.len()
            && pattern
                .zip(segments)
                .all(|(p, s)| p.starts_with('{') || literal_matches(p, s))
    })
}

/// `GET` or `POST /api/...`: finds the route, checks the token and the permission, validates
/// the query options, and answers.
pub(crate) async fn dispatch<S: Store>(
    State(state): State<AppState<S>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path()
        .strip_prefix("/api")
        .unwrap_or(parts.uri.path());
    let found = find(&parts.method, path);
    let template = found.as_ref().map(|(route, _)| route.path);
    let mut response = answer(state, parts, body, found).await.into_response();
    if let Some(template) = template {
        response.extensions_mut().insert(MatchedRoute(template));
    }
    response
}

/// The template of the route a response answered (`/Software/{id}/getmissingkbs`), for the
/// metrics layer to label the request with, without matching the route table again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchedRoute(pub(crate) &'static str);

async fn answer<S: Store>(
    state: AppState<S>,
    mut parts: Parts,
    body: Body,
    found: Option<(&'static Route, Vec<String>)>,
) -> Result<Response, ApiError> {
    let Some((route, params)) = found else {
        // Authenticate first, as every API path but the service documents requires a token:
        // an unknown path tells an anonymous caller nothing more than a known one.
        let caller = Caller::from_request_parts(&mut parts, &state).await?;
        return Err(ApiError::not_found(
            format!("No route for {}", parts.uri.path()),
            &caller.request_id,
        ));
    };
    let id = parts
        .extensions
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    let mut scope = Scope::default();
    let mut caller = None;
    if !route.permissions.is_empty() {
        let authenticated = Caller::from_request_parts(&mut parts, &state).await?;
        authenticated.require(route.permissions)?;
        scope = Scope::of(authenticated.device_groups.as_ref());
        caller = Some(authenticated);
    }
    if let (Handler::InventoryUpload, Some(caller)) = (route.handler, &caller) {
        let base = base_url(&state, &parts.headers);
        return crate::inventory::post(&state, caller, &base, &parts, body).await;
    }
    let query = odata::ListOptions::parse(parts.uri.query().unwrap_or(""), &id)?;
    let call = Call {
        state: &state,
        parts: &parts,
        query,
        base: base_url(&state, &parts.headers),
        params,
        id,
        scope,
    };
    call.answer(route).await
}

/// One request being answered.
struct Call<'a, S> {
    state: &'a AppState<S>,
    parts: &'a Parts,
    query: odata::ListOptions,
    base: String,
    params: Vec<String>,
    id: RequestId,
    /// The machines the caller may see (`scope.rs`).
    scope: Scope,
}

impl<S: Store> Call<'_, S> {
    fn internal(&self) -> impl Fn(StoreError) -> ApiError + '_ {
        |e| match e {
            // Filters are validated against the same field tables the backends map, so this
            // is a backend that lacks a translation: the client's request is still what is
            // refused.
            StoreError::UnsupportedFilter(what) => ApiError::odata(
                format!("$filter: not supported by this store: {what}"),
                &self.id,
            ),
            e => ApiError::internal(e, &self.id),
        }
    }

    fn not_found(&self, what: &str) -> ApiError {
        ApiError::not_found(format!("{what} {} was not found", self.params[0]), &self.id)
    }

    fn software_id(&self) -> Result<SoftwareId, ApiError> {
        SoftwareId::parse(&self.params[0]).ok_or_else(|| self.not_found("Software"))
    }

    fn machine_id(&self) -> Result<MachineId, ApiError> {
        MachineId::parse(&self.params[0]).ok_or_else(|| self.not_found("Machine"))
    }

    /// 404, as if absent, for a machine outside a scoped caller's device groups.
    async fn check_scope(&self) -> Result<(), ApiError> {
        if self.scope.fleet() == DeviceGroups::All {
            return Ok(());
        }
        let machine = self
            .state
            .store
            .machine(&self.params[0])
            .await
            .map_err(self.internal())?;
        match machine {
            Some(m) if self.scope.allows(m.inventory.device_group.as_deref()) => Ok(()),
            _ => Err(self.not_found("Machine")),
        }
    }

    fn page(&self) -> odata::ServerPage {
        self.parts
            .extensions
            .get::<odata::ServerPage>()
            .copied()
            .unwrap_or(odata::ServerPage(SERVER_PAGE_SIZE))
    }

    /// A collection named by the route.
    fn collection<T: serde::Serialize>(&self, route: &Route, items: Vec<T>) -> Response {
        let Returns::Collection { context, .. } = route.returns else {
            unreachable!("the route table pairs collection handlers with collections")
        };
        dto::collection(&self.base, context, items)
    }

    /// An entity named by the route.
    fn entity<T: serde::Serialize>(&self, route: &Route, entity: &T) -> Response {
        let Returns::Entity { context, .. } = route.returns else {
            unreachable!("the route table pairs entity handlers with entities")
        };
        dto::entity(&self.base, context, entity)
    }

    /// A list with the OData options validated against `fields`.
    async fn list<R, T: serde::Serialize>(
        &self,
        route: &Route,
        fields: &'static [FieldDef],
        rows: impl AsyncFnOnce(&kbgap_store::ListQuery) -> kbgap_store::Result<Vec<R>>,
        count: impl AsyncFnOnce(Option<&kbgap_store::Filter>) -> kbgap_store::Result<u64>,
        to_dto: impl Fn(&R) -> T,
    ) -> Result<Response, ApiError> {
        let list = self.query.to_list(fields, self.page(), &self.id)?;
        let items = rows(&list.query).await.map_err(self.internal())?;
        let total = match list.count {
            true => Some(count(list.filter()).await.map_err(self.internal())?),
            false => None,
        };
        let Returns::Collection { context, .. } = route.returns else {
            unreachable!("the route table pairs list handlers with collections")
        };
        let items = items.iter().map(to_dto).collect();
        Ok(list.respond(&self.base, &self.parts.uri, context, items, total))
    }

    async fn answer(&self, route: &Route) -> Result<Response, ApiError> {
        let store = &self.state.store;
        let as_of = match route.options {
            Options::None => {
                self.query.reject_any(&self.id)?;
                None
            }
            Options::AsOf => self.query.as_of(&self.id)?,
            // Validated with the list itself.
            Options::List(_) => None,
        };
        let response = match route.handler {
            Handler::SoftwareList => {
                self.list(
                    route,
                    SOFTWARE_FIELDS,
                    async |q| store.software_list(q, self.scope.fleet()).await,
                    async |f| store.count_software(f, self.scope.fleet()).await,
                    |r| dto::SoftwareDto::from(r),
                )
                .await?
            }
            Handler::Software => {
                let found = store
                    .software(&self.software_id()?, self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Software"))?;
                self.entity(route, &dto::SoftwareDto::from(&found))
            }
            Handler::SoftwareMissingKbs => {
                let software = self.software_id()?;
                // Without asOf: the materialized rows (the unscoped answer kept in memory).
                let missing = match (as_of, self.scope.fleet()) {
                    (None, groups) => store.missing_by_software(&software, groups).await,
                    (Some(date), groups) => {
                        store
                            .missing_by_software_as_of(&software, date, groups)
                            .await
                    }
                }
                .map_err(self.internal())?
                .ok_or_else(|| self.not_found("Software"))?;
                self.collection(
                    route,
                    missing.iter().map(dto::ProductFixDto::from).collect(),
                )
            }
            Handler::SoftwareDistributions => {
                let rows = store
                    .software_distributions(&self.software_id()?, self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Software"))?;
                self.collection(route, rows.iter().map(dto::DistributionDto::from).collect())
            }
            Handler::SoftwareMachineReferences => {
                let rows = store
                    .software_machines(&self.software_id()?)
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Software"))?;
                let visible = rows
                    .iter()
                    .filter(|r| self.scope.allows(r.rbac_group_name.as_deref()));
                self.collection(route, visible.map(dto::MachineReferenceDto::from).collect())
            }
            Handler::SoftwareVulnerabilities => {
                let rows = store
                    .software_vulnerabilities(&self.software_id()?, self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Software"))?;
                self.collection(
                    route,
                    rows.iter().map(dto::VulnerabilityDto::from).collect(),
                )
            }
            Handler::MachineList => {
                self.list(
                    route,
                    MACHINE_FIELDS,
                    async |q| store.machines(&self.scope.restrict(q)).await,
                    async |f| {
                        let f = self.scope.restrict_filter(f);
                        store.count_machines(f.as_ref()).await
                    },
                    |r| dto::MachineDto::from(r),
                )
                .await?
            }
            Handler::Machine => {
                let found = store
                    .machine(&self.params[0])
                    .await
                    .map_err(self.internal())?
                    .filter(|m| self.scope.allows(m.inventory.device_group.as_deref()))
                    .ok_or_else(|| self.not_found("Machine"))?;
                self.entity(route, &dto::MachineDto::from(&found))
            }
            Handler::MachineSoftware => {
                self.check_scope().await?;
                let rows = store
                    .machine_software(&self.machine_id()?, self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Machine"))?;
                self.collection(route, rows.iter().map(dto::SoftwareDto::from).collect())
            }
            Handler::MachineVulnerabilities => {
                self.check_scope().await?;
                let rows = store
                    .machine_vulnerabilities(&self.machine_id()?, self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Machine"))?;
                self.collection(
                    route,
                    rows.iter().map(dto::VulnerabilityDto::from).collect(),
                )
            }
            Handler::MachineMissingKbs => {
                self.check_scope().await?;
                let missing = store
                    .missing_by_machine(&self.machine_id()?, as_of)
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Machine"))?;
                self.collection(
                    route,
                    missing.iter().map(dto::ProductFixDto::from).collect(),
                )
            }
            Handler::MachineExplain => self.explain(as_of).await?,
            Handler::VulnerabilityList => {
                self.list(
                    route,
                    VULNERABILITY_FIELDS,
                    async |q| store.vulnerabilities(q, self.scope.fleet()).await,
                    async |f| store.count_vulnerabilities(f).await,
                    |r| dto::VulnerabilityDto::from(r),
                )
                .await?
            }
            Handler::Vulnerability => {
                let found = store
                    .vulnerability(&self.params[0], self.scope.fleet())
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Vulnerability"))?;
                self.entity(route, &dto::VulnerabilityDto::from(&found))
            }
            Handler::VulnerabilityMachineReferences => {
                let rows = store
                    .vulnerability_machines(&self.params[0])
                    .await
                    .map_err(self.internal())?
                    .ok_or_else(|| self.not_found("Vulnerability"))?;
                let visible = rows
                    .iter()
                    .filter(|r| self.scope.allows(r.rbac_group_name.as_deref()));
                self.collection(route, visible.map(dto::MachineReferenceDto::from).collect())
            }
            Handler::Metadata => (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/xml; charset=utf-8"),
                    ),
                    (
                        header::HeaderName::from_static("odata-version"),
                        HeaderValue::from_static("4.0"),
                    ),
                ],
                metadata::document(),
            )
                .into_response(),
            Handler::OpenApi => (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )],
                openapi::document(&self.base).to_string(),
            )
                .into_response(),
            // Answered in `dispatch`, which holds the body and the caller.
            Handler::InventoryUpload => {
                return Err(ApiError::internal(
                    "the inventory upload reached the GET answers",
                    &self.id,
                ));
            }
        };
        Ok(response)
    }

    /// `kbgap explain --json` over HTTP: the machine (by id or computer name) and the KB
    /// (with or without "KB"), against the catalog slice the CLI reads.
    async fn explain(&self, as_of: Option<kbgap_domain::Date>) -> Result<Response, ApiError> {
        let store = &self.state.store;
        let kb: Kb = self.params[1].parse().map_err(|_| {
            ApiError::bad_request(format!("{} is not a KB number", self.params[1]), &self.id)
        })?;
        let machine = store
            .machine(&self.params[0])
            .await
            .map_err(self.internal())?
            .filter(|m| self.scope.allows(m.inventory.device_group.as_deref()))
            .ok_or_else(|| self.not_found("Machine"))?;
        let slice = store
            .catalog_slice(&machine.inventory)
            .await
            .map_err(self.internal())?;
        let why = kbgap_engine::explain(
            &machine.inventory,
            &slice,
            kbgap_engine::AssessOptions { as_of },
            kb,
        );
        Ok(json_response(
            serde_json::to_vec(&why).expect("explanations serialize"),
        ))
    }
}
