//! `serve --oidc-issuer ...`: also accept the tokens of external identity providers (Entra ID,
//! Keycloak, any OpenID Connect issuer), so that an organisation's existing app registrations
//! and users call kbgap as they call Defender.
//!
//! The issuers' keys are fetched once before the server starts listening; a provider that
//! does not answer then is only a warning (its first token retries, rate-limited), so kbgap's
//! own tokens keep working while the provider is away.

use std::sync::Arc;

use anyhow::Context;
use kbgap_auth::DEFENDER_AUDIENCES;
use kbgap_auth::external::{ExternalIssuers, OidcConfig, parse_algorithms};

use crate::ServeArgs;

/// The external issuers `args` configure (none without `--oidc-issuer`), keys fetched.
pub async fn external_issuers(
    args: &ServeArgs,
    public_url: &Option<String>,
) -> anyhow::Result<Option<Arc<ExternalIssuers>>> {
    let issuers: Vec<String> = args
        .oidc_issuer
        .iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect();
    if issuers.is_empty() {
        return Ok(None);
    }
    let mut audiences: Vec<String> = args
        .oidc_audience
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if audiences.is_empty() {
        audiences = DEFENDER_AUDIENCES.iter().map(|a| a.to_string()).collect();
        audiences.extend(public_url.clone());
    }
    let algorithms = parse_algorithms(&args.oidc_algorithms).context("--oidc-algorithms")?;
    let config = OidcConfig::new(issuers, audiences, algorithms, &args.oidc_group_claim)
        .context("--oidc-issuer")?;
    let external = Arc::new(ExternalIssuers::new(config));
    let prefetch = external.clone();
    let fetched = tokio::task::spawn_blocking(move || prefetch.refresh_all()).await?;
    for (issuer, result) in fetched {
        match result {
            Ok(keys) => eprintln!("kbgap: accepting tokens of {issuer} ({keys} signing keys)"),
            Err(e) => eprintln!(
                "kbgap: warning: keys of {issuer} not fetched ({e}); its tokens are refused until a fetch succeeds"
            ),
        }
    }
    Ok(Some(external))
}
