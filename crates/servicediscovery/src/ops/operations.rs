//! GetOperation and ListOperations.

use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::{self as wire, *};

use super::filters::check;
use super::{page, page_size};
use crate::error::{CloudMapError, Result};
use crate::records::{key, OperationRec};
use crate::CloudMap;

fn view(o: &OperationRec) -> wire::Operation {
    wire::Operation {
        id: Some(o.id.clone()),
        owner_account: Some(o.account.clone()),
        r#type: Some(OperationType::parse(&o.kind)),
        status: Some(OperationStatus::parse(&o.status)),
        error_message: o.error_message.clone(),
        error_code: o.error_code.clone(),
        create_date: Some(o.created),
        update_date: Some(o.updated),
        targets: Some(o.targets.iter().cloned().collect()),
    }
}

impl CloudMap {
    pub(crate) fn get_operation(
        &self,
        ctx: &RequestContext,
        req: GetOperationRequest,
    ) -> Result<GetOperationResponse> {
        let id = req.operation_id.unwrap_or_default();
        let state = self.db.snapshot();
        let o = state
            .operations
            .get(&key(&ctx.account, &id))
            .filter(|_| {
                req.owner_account
                    .as_deref()
                    .is_none_or(|a| a == ctx.account)
            })
            .ok_or_else(|| {
                CloudMapError::OperationNotFound(format!("Operation {id} not found."))
            })?;
        Ok(GetOperationResponse {
            operation: Some(view(o)),
        })
    }

    pub(crate) fn list_operations(
        &self,
        ctx: &RequestContext,
        req: ListOperationsRequest,
    ) -> Result<ListOperationsResponse> {
        let size = page_size(req.max_results)?;
        let filters = check(
            req.filters.as_deref(),
            &[
                ("NAMESPACE_ID", &["EQ"]),
                ("SERVICE_ID", &["EQ"]),
                ("STATUS", &["EQ", "IN"]),
                ("TYPE", &["EQ", "IN"]),
                ("UPDATE_DATE", &["BETWEEN"]),
            ],
        )?;
        let state = self.db.snapshot();
        let matching = state.operations_of(&ctx.account).filter(|o| {
            filters.iter().all(|f| match f.name.as_str() {
                "NAMESPACE_ID" => o.target("NAMESPACE").is_some_and(|t| f.matches(t)),
                "SERVICE_ID" => o.target("SERVICE").is_some_and(|t| f.matches(t)),
                "STATUS" => f.matches(&o.status),
                "TYPE" => f.matches(&o.kind),
                _ => f.between(o.updated),
            })
        });
        let page = page(
            matching.map(|o| (o.id.clone(), o)),
            req.next_token.as_deref(),
            size,
        )?;
        Ok(ListOperationsResponse {
            operations: Some(
                page.items
                    .iter()
                    .map(|o| OperationSummary {
                        id: Some(o.id.clone()),
                        status: Some(OperationStatus::parse(&o.status)),
                    })
                    .collect(),
            ),
            next_token: page.next_token,
        })
    }
}
