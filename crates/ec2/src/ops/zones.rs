//! DescribeAvailabilityZones and DescribeRegions: the region this endpoint serves and its
//! zones `<region>a`, `b`, `c` (the ones Berth's agents are put in by default).

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::one;
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::network::zones;
use crate::Ec2;

const ZONE_FILTERS: &[&str] = &[
    "group-long-name",
    "group-name",
    "message",
    "opt-in-status",
    "parent-zone-id",
    "parent-zone-name",
    "region-name",
    "state",
    "zone-id",
    "zone-name",
    "zone-type",
];

const REGION_FILTERS: &[&str] = &["endpoint", "opt-in-status", "region-name"];

fn zone_values(z: &AvailabilityZone, name: &str) -> Vec<String> {
    let text = |v: &Option<String>| v.iter().cloned().collect();
    match name {
        "group-name" => text(&z.group_name),
        "opt-in-status" => one("opt-in-not-required"),
        "region-name" => text(&z.region_name),
        "state" => one("available"),
        "zone-id" => text(&z.zone_id),
        "zone-name" => text(&z.zone_name),
        "zone-type" => text(&z.zone_type),
        _ => Vec::new(),
    }
}

impl Ec2 {
    pub(crate) fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        req: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult> {
        let filters = Filters::parse(req.filters.as_ref(), ZONE_FILTERS)?;
        let all = zones(&ctx.region);
        let names = req.zone_names.unwrap_or_default();
        let ids = req.zone_ids.unwrap_or_default();
        let unknown = names
            .iter()
            .find(|n| !all.iter().any(|z| z.name == **n))
            .or_else(|| ids.iter().find(|i| !all.iter().any(|z| z.id == **i)));
        if let Some(zone) = unknown {
            return Err(Ec2Error::invalid(format!(
                "Invalid availability zone: [{zone}]"
            )));
        }
        let zones = all
            .into_iter()
            .filter(|z| {
                (names.is_empty() && ids.is_empty())
                    || names.contains(&z.name)
                    || ids.contains(&z.id)
            })
            .map(|z| AvailabilityZone {
                state: Some(AvailabilityZoneState::Available),
                opt_in_status: Some(AvailabilityZoneOptInStatus::OptInNotRequired),
                messages: Some(Vec::new()),
                region_name: Some(ctx.region.clone()),
                zone_name: Some(z.name),
                zone_id: Some(z.id),
                group_name: Some(ctx.region.clone()),
                network_border_group: Some(ctx.region.clone()),
                zone_type: Some("availability-zone".into()),
                ..Default::default()
            })
            .filter(|z| filters.matches(|n| zone_values(z, n), &Default::default()))
            .collect();
        Ok(DescribeAvailabilityZonesResult {
            availability_zones: Some(zones),
        })
    }

    pub(crate) fn describe_regions(
        &self,
        ctx: &RequestContext,
        req: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult> {
        let filters = Filters::parse(req.filters.as_ref(), REGION_FILTERS)?;
        let names = req.region_names.unwrap_or_default();
        if let Some(other) = names.iter().find(|n| **n != ctx.region) {
            return Err(Ec2Error::invalid(format!("Invalid region: {other}")));
        }
        // The endpoint's host (and port) as EC2 answers its own: without a scheme.
        let endpoint = self.endpoint().map(|e| {
            let host = e.split_once("://").map_or(e.as_str(), |(_, h)| h);
            host.trim_end_matches('/').to_owned()
        });
        let region = Region {
            region_name: Some(ctx.region.clone()),
            opt_in_status: Some("opt-in-not-required".into()),
            endpoint,
            ..Default::default()
        };
        let values = |name: &str| match name {
            "region-name" => one(ctx.region.clone()),
            "opt-in-status" => one("opt-in-not-required"),
            "endpoint" => region.endpoint.iter().cloned().collect(),
            _ => Vec::new(),
        };
        let regions = if filters.matches(values, &Default::default()) {
            vec![region]
        } else {
            Vec::new()
        };
        Ok(DescribeRegionsResult {
            regions: Some(regions),
        })
    }
}
