//! `marque.v1.CheckService`: what platforms call while a seller creates a
//! listing. Answered from the snapshot alone.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{ApiError, ApiResult, caller, convert, parse_brand_name, validate::Violations};
use crate::{
    auth,
    model::{NiceClass, Region},
    pb::marque::v1::{self as pb, check_service_server::CheckService},
    registry::Registry,
    snapshot::SellerVerdict,
};

/// The check service.
pub struct CheckApi {
    /// The registry whose snapshot answers.
    registry: Arc<Registry>,
}

impl CheckApi {
    /// A service over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    async fn check_seller_impl(
        &self,
        request: Request<pb::CheckSellerRequest>,
    ) -> ApiResult<pb::CheckSellerResponse> {
        let caller = caller(&request)?;
        let platform = auth::require_platform(&caller)?.clone();
        let req = request.into_inner();
        let mut v = Violations::new();
        let brand = parse_brand_name(&req.brand, "brand", &mut v);
        if req.seller_account.is_empty() || req.seller_account.chars().count() > 128 {
            v.add("seller_account", "must be 1 to 128 characters");
        }
        let class = if req.nice_class == 0 {
            None
        } else {
            v.check("nice_class", NiceClass::parse(req.nice_class))
        };
        let region = if req.region.is_empty() {
            None
        } else {
            v.check("region", Region::parse(&req.region))
        };
        let at = match &req.at_time {
            Some(t) => v.check("at_time", convert::parse_timestamp(t)),
            None => Some(time::OffsetDateTime::now_utc()),
        };
        let (brand, at) = v.done(brand.zip(at))?;
        let snapshot = self.registry.snapshot_at_least(req.min_revision).await?;
        let check = snapshot
            .check_seller(&brand, &platform, &req.seller_account, class, region, at)
            .ok_or_else(|| ApiError::NotFound(req.brand.clone()))?;
        let (reason, explanation) = explain(check.verdict, &req, &platform);
        metrics::counter!(
            "marque_check_verdicts_total",
            "check" => "CheckSeller",
            "verdict" => reason.as_str_name()
        )
        .increment(1);
        Ok(pb::CheckSellerResponse {
            authorized: check.verdict == SellerVerdict::Authorized,
            reason: reason as i32,
            authorization: check.authorization.as_deref().map(convert::authorization),
            explanation,
            checked_at: Some(convert::timestamp(at)),
            revision: snapshot.revision(),
        })
    }
}

fn explain(
    verdict: SellerVerdict,
    req: &pb::CheckSellerRequest,
    platform: &crate::model::Slug,
) -> (pb::SellerCheckReason, String) {
    use pb::SellerCheckReason as R;
    let who = format!("seller {:?} on members/{platform}", req.seller_account);
    match verdict {
        SellerVerdict::Authorized => (
            R::Authorized,
            format!("{who} is authorized for {}", req.brand),
        ),
        SellerVerdict::ClassNotCovered => (
            R::ClassNotCovered,
            if req.nice_class == 0 {
                format!(
                    "{who} is authorized for {} only in some Nice classes, and no class was given",
                    req.brand
                )
            } else {
                format!(
                    "{who} is not authorized for {} in Nice class {}",
                    req.brand, req.nice_class
                )
            },
        ),
        SellerVerdict::RegionNotCovered => (
            R::RegionNotCovered,
            if req.region.is_empty() {
                format!(
                    "{who} is authorized for {} only in some regions, and no region was given",
                    req.brand
                )
            } else {
                format!(
                    "{who} is not authorized for {} in region {}",
                    req.brand,
                    req.region.to_ascii_uppercase()
                )
            },
        ),
        SellerVerdict::NotYetValid => (
            R::NotYetValid,
            format!(
                "{who}'s authorization for {} has not started yet",
                req.brand
            ),
        ),
        SellerVerdict::Expired => (
            R::Expired,
            format!("{who}'s authorization for {} has ended", req.brand),
        ),
        SellerVerdict::Suspended => (
            R::Suspended,
            format!("{who}'s authorization for {} is suspended", req.brand),
        ),
        SellerVerdict::Revoked => (
            R::Revoked,
            format!("{who}'s authorization for {} was revoked", req.brand),
        ),
        SellerVerdict::NoAuthorization => (
            R::NoAuthorization,
            format!("the owner of {} has not authorized {who}", req.brand),
        ),
        SellerVerdict::BrandArchived => (R::BrandArchived, format!("{} is archived", req.brand)),
    }
}

#[tonic::async_trait]
impl CheckService for CheckApi {
    async fn check_seller(
        &self,
        request: Request<pb::CheckSellerRequest>,
    ) -> Result<Response<pb::CheckSellerResponse>, Status> {
        self.check_seller_impl(request)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}
